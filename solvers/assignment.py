"""Named-staff assignment: who does each hour of the selected projects' work.

Each period is a min-cost flow from project demand (project, class) to the people who
qualify, within each person's capacity. Costs steer the flow towards continuity (the
same people as in the project's previous period), named staff before generic pools, and
people whose level is close to what the work needs. A basic optimal flow uses few arcs,
so few people per project.

The network stays small at thousands of people: demand reaches a person through a node
per class (one arc per class and qualified person, not per demand and person), and only
the people who already worked on a project get a direct, cheaper arc from its demand.
Every demand-to-person route costs what a direct arc would, so the optimum is the same;
the flow through a class node is then split over its demands in a fixed order.

The portfolio step guarantees success: it found, per period, a flow from classes to
*groups* of interchangeable staff; every group's capacity is its members' sum and each
member qualifies for every class the group serves, so the same flow splits over people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from ortools.graph.python import min_cost_flow

from engine.problem import ProblemData

NAMED, POOL = 100, 300  # pools are used where named people run out
SAME_AS_LAST_PERIOD, WORKED_ON_IT = 70, 30
LEVEL_SURPLUS = 4  # per level above what the work needs: keep experts for expert work

Arcs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # tails, heads, capacities, costs


class AssignmentError(RuntimeError):
    """Demand could not be assigned: the selection was not feasible."""


class Row(NamedTuple):
    staff: int
    project: int
    skill: int
    period: int
    units: int


class _Rows(NamedTuple):
    """Rows as columns (a period has tens of thousands: objects come only at the end)."""

    staff: np.ndarray
    project: np.ndarray
    skill: np.ndarray
    units: np.ndarray

    @staticmethod
    def join(parts: list[_Rows]) -> _Rows:
        if not parts:
            return _Rows(*(np.zeros(0, dtype=np.int64),) * 4)
        return _Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in _Rows._fields))


@dataclass
class _Needs:
    """The demand of one period, one entry per (project, class), projects in a fixed order."""

    project: np.ndarray
    cls: np.ndarray
    units: np.ndarray


def assign(data: ProblemData, starts: dict[int, int]) -> list[Row]:
    """Assign every unit of demand of the projects in ``starts`` (project -> start)."""
    base = np.where([s.is_pool for s in data.scenario.staff], POOL, NAMED)
    skill_of = np.array([cls.skill for cls in data.classes], dtype=np.int64)
    min_level = np.array([cls.min_level for cls in data.classes], dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    history = {j: empty for j in starts}  # project -> people so far (sorted)
    last = dict(history)  # project -> people in its previous period
    rows: list[Row] = []
    for t in range(data.num_periods):
        needs = _needs(data, starts, t)
        if not len(needs.units):
            continue
        period = _Period(data, t, needs, base, skill_of, min_level)
        period_rows = _merge(period.solve(history, last))
        last = {j: empty for j in starts}
        for j, people in _people_by_project(period_rows).items():
            last[j], history[j] = people, np.union1d(history[j], people)
        periods = [t] * len(period_rows.units)
        columns = (period_rows.staff, period_rows.project, period_rows.skill)
        rows += map(Row, *(c.tolist() for c in columns), periods, period_rows.units.tolist())
    return rows


def _people_by_project(rows: _Rows) -> dict[int, np.ndarray]:
    """Each project's people (sorted) in rows sorted by project and person."""
    pairs = np.unique(np.stack([rows.project, rows.staff]), axis=1)
    projects, first = np.unique(pairs[0], return_index=True)
    return {int(j): people for j, people in zip(projects, np.split(pairs[1], first[1:]), strict=True)}


def _needs(data: ProblemData, starts: dict[int, int], t: int) -> _Needs:
    """(project, class, units) demanded in period t, with positive units."""
    project, cls, units = [], [], []
    for j, s in sorted(starts.items()):  # a fixed order: the same plan always gets the same staff
        r = t - s
        if 0 <= r < data.length[j]:
            project.append(np.full(len(data.project_classes[j]), j))
            cls.append(data.project_classes[j])
            units.append(data.demand[j][r])
    if not project:
        return _Needs(*(np.zeros(0, dtype=np.int64),) * 3)
    needs = _Needs(*(np.concatenate(x).astype(np.int64) for x in (project, cls, units)))
    keep = needs.units > 0
    return _Needs(needs.project[keep], needs.cls[keep], needs.units[keep])


class _Period:
    """One period's min-cost flow. Nodes: needs, then class nodes, then people, then the sink."""

    def __init__(
        self,
        data: ProblemData,
        t: int,
        needs: _Needs,
        base: np.ndarray,
        skill_of: np.ndarray,
        min_level: np.ndarray,
    ):
        self.data, self.t, self.needs = data, t, needs
        self.people = np.flatnonzero(data.capacity[:, t] > 0)
        self.classes = np.unique(needs.cls)
        self.skill_of, self.min_level = skill_of, min_level
        n, k = len(needs.units), len(self.classes)
        self.class_node = n + np.searchsorted(self.classes, needs.cls)  # per need
        self.first_person, self.sink = n + k, n + k + len(self.people)
        self.person_node = np.full(data.capacity.shape[0], -1, dtype=np.int64)
        self.person_node[self.people] = self.first_person + np.arange(len(self.people))
        self.base = base

    def cost(self, people: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Cost of a unit of class work by each person (no continuity discount)."""
        surplus = self.data.levels[people, self.skill_of[classes]] - self.min_level[classes]
        return self.base[people] + LEVEL_SURPLUS * surplus

    def qualified(self, people: np.ndarray, classes: np.ndarray) -> np.ndarray:
        return self.data.levels[people, self.skill_of[classes]] >= self.min_level[classes]

    def class_arcs(self) -> Arcs:
        """Each class node to everyone who qualifies, uncapped (people's own arcs cap them)."""
        k, p = np.nonzero(self.qualified(self.people[None, :], self.classes[:, None]))
        people, classes = self.people[p], self.classes[k]
        uncapped = np.full(len(k), int(self.needs.units.sum()))
        return self.class_node_of(classes), self.person_node[people], uncapped, self.cost(people, classes)

    def class_node_of(self, classes: np.ndarray) -> np.ndarray:
        return len(self.needs.units) + np.searchsorted(self.classes, classes)

    def history_arcs(self, history: dict[int, np.ndarray], last: dict[int, np.ndarray]) -> Arcs:
        """Each need straight to the qualified people who worked on its project, cheaper."""
        n_idx, people, bonus = [], [], []
        for j in np.unique(self.needs.project):
            seen = history[int(j)]
            seen = seen[self.person_node[seen] >= 0]  # only people with capacity this period
            if not len(seen):
                continue
            mine = np.flatnonzero(self.needs.project == j)
            n_idx.append(np.repeat(mine, len(seen)))
            people.append(np.tile(seen, len(mine)))
            same = np.isin(seen, last[int(j)])
            bonus.append(np.tile(np.where(same, SAME_AS_LAST_PERIOD, WORKED_ON_IT), len(mine)))
        if not n_idx:
            none = np.zeros(0, dtype=np.int64)
            return none, none, none, none
        n, p, b = (np.concatenate(x) for x in (n_idx, people, bonus))
        classes = self.needs.cls[n]
        ok = self.qualified(p, classes)
        n, p, b, classes = n[ok], p[ok], b[ok], classes[ok]
        return n, self.person_node[p], self.needs.units[n], self.cost(p, classes) - b

    def solve(self, history: dict[int, np.ndarray], last: dict[int, np.ndarray]) -> _Rows:
        needs, n = self.needs, len(self.needs.units)
        into_class = (np.arange(n), self.class_node, needs.units, np.zeros(n, dtype=np.int64))
        to_sink = (
            self.person_node[self.people],
            np.full(len(self.people), self.sink),
            self.data.capacity[self.people, self.t],
            np.zeros(len(self.people), dtype=np.int64),
        )
        direct = self.history_arcs(history, last)
        parts = [into_class, self.class_arcs(), direct, to_sink]
        tails, heads, caps, costs = (np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(4))
        solver = min_cost_flow.SimpleMinCostFlow()
        arcs = solver.add_arcs_with_capacity_and_unit_cost(
            tails.astype(np.int32), heads.astype(np.int32), caps, costs
        )
        supplies = np.zeros(self.sink + 1, dtype=np.int64)
        supplies[:n] = needs.units
        supplies[self.sink] = -int(needs.units.sum())
        solver.set_nodes_supplies(np.arange(self.sink + 1, dtype=np.int32), supplies)
        if solver.solve() != solver.OPTIMAL:
            raise AssignmentError(f"demand in period {self.t} cannot be assigned to staff")
        flows = solver.flows(arcs)
        sizes = np.cumsum([0, *(len(p[0]) for p in parts)])
        via_class = flows[sizes[0] : sizes[1]]
        to_people = (heads[sizes[1] : sizes[2]], flows[sizes[1] : sizes[2]])
        straight = (tails[sizes[2] : sizes[3]], heads[sizes[2] : sizes[3]], flows[sizes[2] : sizes[3]])
        return _Rows.join(
            [self._rows(*straight), self._split(via_class, *to_people, tails[sizes[1] : sizes[2]])]
        )

    def _rows(self, need: np.ndarray, node: np.ndarray, units: np.ndarray) -> _Rows:
        used = units > 0
        need = need[used]
        return _Rows(
            staff=self.people[node[used] - self.first_person],
            project=self.needs.project[need],
            skill=self.skill_of[self.needs.cls[need]],
            units=units[used].astype(np.int64),
        )

    def _split(
        self, via_class: np.ndarray, node: np.ndarray, units: np.ndarray, class_node: np.ndarray
    ) -> _Rows:
        """Pair each class node's inflow (needs, in order) with its outflow (people, in order)."""
        out: list[_Rows] = []
        for c_node in np.unique(class_node[units > 0]):
            mine = np.flatnonzero(self.class_node == c_node)
            inflow = via_class[mine]
            arcs = np.flatnonzero((class_node == c_node) & (units > 0))
            ends_in, ends_out = np.cumsum(inflow), np.cumsum(units[arcs])
            cuts = np.union1d(ends_in, ends_out)  # both total the class's flow
            starts = np.concatenate([[0], cuts[:-1]])
            need = mine[np.searchsorted(ends_in, starts, side="right")]
            person = node[arcs[np.searchsorted(ends_out, starts, side="right")]]
            out.append(self._rows(need, person, cuts - starts))
        return _Rows.join(out)


def _merge(rows: _Rows) -> _Rows:
    """One row per (project, skill, staff), in that order: a person may serve two levels of a skill."""
    keys, where = np.unique(np.stack([rows.project, rows.skill, rows.staff]), axis=1, return_inverse=True)
    units = np.zeros(keys.shape[1], dtype=np.int64)
    np.add.at(units, where.reshape(-1), rows.units)
    return _Rows(staff=keys[2], project=keys[0], skill=keys[1], units=units)
