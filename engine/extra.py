"""The least extra capacity that fits a project: a min-cost flow per period, exact.

Per period, the demand of the plan plus the project is routed from demand classes to the staff
groups who qualify (free) and to one "extra staff" node per skill, whose hours cost that skill's
median hourly rate. The flow is exact, so the extra hours are the least that make the period
fit, and the cost puts them on the cheaper skill when a multi-skilled person could cover either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from ortools.graph.python import min_cost_flow

from engine.demand import class_demand
from engine.problem import UNITS_PER_HOUR, ProblemData
from solvers.portfolio import Portfolio

COST_SCALE = 100  # min-cost flow needs integer costs: hundredths of a currency unit per hour


@dataclass(frozen=True)
class ExtraStaff:
    """Hours of one skill (at ``min_level`` or above) to add, per period."""

    skill: str
    min_level: int
    hours: dict[int, float]
    cost_per_hour: float

    @property
    def total_hours(self) -> float:
        return sum(self.hours.values())

    def fte(self, data: ProblemData) -> dict[int, float]:
        """The FTE a person must bring per period, after ``max_utilisation`` and rounding up."""
        per_fte = data.scenario.calendar.fte_hours * data.scenario.policy.max_utilisation
        return {t: math.ceil(100 * h / per_fte - 1e-9) / 100 + 0.01 for t, h in self.hours.items()}


def extra_cost(extra: list[ExtraStaff]) -> float:
    """What the extra hours cost, at each skill's hourly rate."""
    return sum(e.total_hours * e.cost_per_hour for e in extra)


def least_extra_capacity(
    data: ProblemData, starts: dict[int, int], j: int, s: int, portfolio: Portfolio | None = None
) -> list[ExtraStaff]:
    """The cheapest hours of extra staff that fit project j at start s beside ``starts``
    (``portfolio``, holding ``starts``, lets periods that fit as they are be skipped fast)."""
    network = ExtraNetwork.of(data)
    own = data.dense_demand(j)
    load = None if portfolio is not None else class_demand(data, starts)
    found: dict[int, dict[int, float]] = {}
    levels: dict[int, int] = {}
    for t in range(s, s + int(data.length[j])):
        if portfolio is not None:
            if portfolio.loads[t].try_add(own[t - s]) is not None:
                continue  # fits without extra staff
            demand = portfolio.loads[t].demand + own[t - s]
        else:
            assert load is not None
            demand = load[t] + own[t - s]
        for k, (units, level) in network.extra(demand, t).items():
            found.setdefault(k, {})[t] = units / UNITS_PER_HOUR
            levels[k] = max(levels.get(k, 1), level)
    return [
        ExtraStaff(data.skill_ids[k], levels[k], hours, float(network.weights[k]))
        for k, hours in sorted(found.items())
    ]


def hourly_costs(data: ProblemData) -> np.ndarray:
    """Per skill, what an hour costs: the median rate of those who hold it (1 when unpriced)."""
    costs = np.ones(len(data.skill_ids))
    for k in range(len(data.skill_ids)):
        rates = data.cost_per_hour[(data.levels[:, k] > 0) & (data.cost_per_hour > 0)]
        if len(rates):
            costs[k] = float(np.median(rates))
    return costs


class ExtraNetwork:
    """Demand classes to the groups who qualify (free) and to one extra-staff node per skill
    (at that skill's hourly cost); built once per portfolio, solved per period."""

    _cache: ClassVar[dict[int, ExtraNetwork]] = {}

    def __init__(self, data: ProblemData):
        self.data, self.weights = data, hourly_costs(data)
        classes, groups, skills = len(data.classes), data.num_groups, len(data.skill_ids)
        self.sink = 1 + classes + groups + skills
        skill_of = np.array([c.skill for c in data.classes], dtype=np.int64)
        self.level_of = np.array([c.min_level for c in data.classes], dtype=np.int64)
        g_idx, c_idx = np.nonzero(data.group_eligible)
        tails = [
            np.zeros(classes, np.int64),
            1 + c_idx,
            1 + np.arange(classes),
            1 + classes + np.arange(groups),
        ]
        heads = [1 + np.arange(classes), 1 + classes + g_idx, 1 + classes + groups + skill_of]
        heads += [np.full(groups, self.sink)]
        tails.append(1 + classes + groups + np.arange(skills))
        heads.append(np.full(skills, self.sink))
        cost = np.maximum(1, np.round(COST_SCALE * self.weights[skill_of])).astype(np.int64)
        costs = [np.zeros(classes + len(c_idx), np.int64), cost, np.zeros(groups + skills, np.int64)]
        self.flow = min_cost_flow.SimpleMinCostFlow()
        self.flow.add_arcs_with_capacity_and_unit_cost(
            np.concatenate(tails),
            np.concatenate(heads),
            np.zeros(sum(map(len, tails)), np.int64),
            np.concatenate(costs),
        )
        n_eligible = len(c_idx)
        self.extra_arcs = np.arange(classes + n_eligible, 2 * classes + n_eligible)
        self.group_arcs = np.arange(2 * classes + n_eligible, 2 * classes + n_eligible + groups)
        self.skill_of, self.n_arcs = skill_of, self.flow.num_arcs()

    @classmethod
    def of(cls, data: ProblemData) -> ExtraNetwork:
        """One network per portfolio, reused by every question about it."""
        cached = cls._cache.get(id(data))
        if cached is None or cached.data is not data:
            cls._cache.clear()  # only the latest portfolio is kept
            cached = cls._cache[id(data)] = cls(data)
        return cached

    def extra(self, demand: np.ndarray, t: int) -> dict[int, tuple[int, int]]:
        """Per skill, the extra units (and the level they need) of a min-cost flow at period t."""
        total = int(demand.sum())
        if total == 0:
            return {}
        classes = len(self.skill_of)
        capacity = np.full(self.n_arcs, total, dtype=np.int64)
        capacity[:classes] = demand
        capacity[self.group_arcs] = self.data.group_capacity[:, t]
        self.flow.set_arc_capacities(np.arange(self.n_arcs), capacity)
        self.flow.set_nodes_supplies(np.array([0, self.sink]), np.array([total, -total]))
        if self.flow.solve() != self.flow.OPTIMAL:  # cannot happen: extra staff serve every class
            raise RuntimeError("min-cost flow for extra capacity failed")
        used = self.flow.flows(self.extra_arcs)
        extra: dict[int, tuple[int, int]] = {}
        for c in np.flatnonzero(used).tolist():
            k = int(self.skill_of[c])
            units, level = extra.get(k, (0, 1))
            extra[k] = (units + int(used[c]), max(level, int(self.level_of[c])))
        return extra
