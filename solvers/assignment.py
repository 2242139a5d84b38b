"""Named-staff assignment: who does each hour of the selected projects' work.

Each period is a min-cost flow from project demand (project, class) to the people who
qualify, within each person's capacity. Costs steer the flow towards continuity (the
same people as in the project's previous period), named staff before generic pools, and
people whose level is close to what the work needs. A basic optimal flow uses few arcs,
so few people per project.

The portfolio step guarantees success: it found, per period, a flow from classes to
*groups* of interchangeable staff; every group's capacity is its members' sum and each
member qualifies for every class the group serves, so the same flow splits over people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from engine.problem import ProblemData

NAMED, POOL = 100, 300  # pools are used where named people run out
SAME_AS_LAST_PERIOD, WORKED_ON_IT = 70, 30
LEVEL_SURPLUS = 4  # per level above what the work needs: keep experts for expert work


class AssignmentError(RuntimeError):
    """Demand could not be assigned: the selection was not feasible."""


@dataclass(frozen=True)
class Row:
    staff: int
    project: int
    skill: int
    period: int
    units: int


def assign(data: ProblemData, starts: dict[int, int]) -> list[Row]:
    """Assign every unit of demand of the projects in ``starts`` (project -> start)."""
    is_pool = np.array([s.is_pool for s in data.scenario.staff], dtype=bool)
    history: dict[int, set[int]] = {j: set() for j in starts}  # project -> people so far
    rows: list[Row] = []
    last: dict[int, set[int]] = {j: set() for j in starts}
    for t in range(data.num_periods):
        needs = _needs(data, starts, t)
        if not needs:
            continue
        period_rows = _assign_period(data, t, needs, is_pool, last, history)
        last = {j: set() for j in starts}
        for row in period_rows:
            last[row.project].add(row.staff)
            history[row.project].add(row.staff)
        rows += period_rows
    return _merge(rows)


def _needs(data: ProblemData, starts: dict[int, int], t: int) -> list[tuple[int, int, int]]:
    """(project, class, units) demanded in period t."""
    out = []
    for j, s in sorted(starts.items()):  # a fixed order: the same plan always gets the same staff
        r = t - s
        if 0 <= r < data.length[j]:
            for c, units in zip(data.project_classes[j], data.demand[j][r], strict=True):
                if units > 0:
                    out.append((j, int(c), int(units)))
    return out


def _assign_period(
    data: ProblemData,
    t: int,
    needs: list[tuple[int, int, int]],
    is_pool: np.ndarray,
    last: dict[int, set[int]],
    history: dict[int, set[int]],
) -> list[Row]:
    people = np.flatnonzero(data.capacity[:, t] > 0)
    person_node = {int(p): len(needs) + i for i, p in enumerate(people)}
    sink = len(needs) + len(people)
    arcs: list[tuple[int, int, int, int]] = []  # tail, head, capacity, cost
    for n, (j, c, units) in enumerate(needs):
        cls = data.classes[c]
        levels = data.levels[people, cls.skill]
        for p in people[levels >= cls.min_level]:
            p = int(p)
            cost = POOL if is_pool[p] else NAMED
            cost -= SAME_AS_LAST_PERIOD if p in last[j] else (WORKED_ON_IT if p in history[j] else 0)
            cost += LEVEL_SURPLUS * (int(data.levels[p, cls.skill]) - cls.min_level)
            arcs.append((n, person_node[p], units, cost))
    arcs += [(person_node[int(p)], sink, int(data.capacity[p, t]), 0) for p in people]
    tails, heads, caps, costs = (np.array(column, dtype=np.int64) for column in zip(*arcs, strict=True))
    solver = min_cost_flow.SimpleMinCostFlow()
    arc_ids = solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    total = sum(units for _, _, units in needs)
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[: len(needs)] = [units for _, _, units in needs]
    supplies[sink] = -total
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    if solver.solve() != solver.OPTIMAL:
        raise AssignmentError(f"demand in period {t} cannot be assigned to staff")
    flows = solver.flows(arc_ids)
    rows = []
    for a in np.flatnonzero(flows):
        if heads[a] == sink:
            continue
        j, c, _ = needs[int(tails[a])]
        p = int(people[int(heads[a]) - len(needs)])
        rows.append(Row(p, j, data.classes[c].skill, t, int(flows[a])))
    return rows


def _merge(rows: list[Row]) -> list[Row]:
    """One row per (staff, project, skill, period): a person may serve two levels of a skill."""
    merged: dict[tuple[int, int, int, int], int] = {}
    for r in rows:
        key = (r.staff, r.project, r.skill, r.period)
        merged[key] = merged.get(key, 0) + r.units
    return [Row(*key, units) for key, units in merged.items()]
