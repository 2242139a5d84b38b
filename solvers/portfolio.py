"""The state of a portfolio being built: loads per period, money spent, starts chosen.

Shared by the greedy solver, explanations and repair steps, so that "does project j fit
at start s?" has exactly one answer everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.problem import UNITS_PER_HOUR, ProblemData
from solvers.flow import Network, PeriodLoad

BUDGET_TOL = 1e-9


@dataclass
class Schedule:
    """A solver's decision: which projects start when, and what it knows about quality."""

    starts: dict[int, int]  # selected project -> start period
    status: str  # optimal | feasible | infeasible | unknown
    bound: float | None = None
    conflicts: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def labour_estimate(data: ProblemData) -> list[np.ndarray]:
    """Per project and relative period, the most its labour could cost (for budgets with
    ``include_labour``): each class's hours at the dearest rate of anyone who qualifies."""
    dearest = np.zeros(len(data.classes))
    for c, cls in enumerate(data.classes):
        who = data.levels[:, cls.skill] >= cls.min_level
        dearest[c] = data.cost_per_hour[who].max() if who.any() else 0.0
    return [d @ dearest[data.project_classes[j]] / UNITS_PER_HOUR for j, d in enumerate(data.demand)]


class Portfolio:
    """Projects placed so far, with exact capacity and budget bookkeeping."""

    def __init__(self, data: ProblemData):
        self.data = data
        network = Network(data.group_eligible)
        self.loads = [PeriodLoad(data.group_capacity[:, t], network) for t in range(data.num_periods)]
        self.starts: dict[int, int] = {}
        self.spent_period = np.zeros(data.num_periods)
        self.labour = labour_estimate(data) if data.include_labour else None

    def earliest_start(self, j: int) -> int | None:
        """First start allowed by window and placed predecessors; None if a predecessor is out."""
        start = int(self.data.earliest[j])
        for pred, lag in self.data.predecessors[j]:
            if pred not in self.starts:
                return None
            start = max(start, self.starts[pred] + int(self.data.length[pred]) + lag)
        return start

    def period_cost(self, j: int) -> np.ndarray:
        """What project j costs in each of its relative periods (spread evenly)."""
        length = int(self.data.length[j])
        cost = np.full(length, self.data.cost[j] / length)
        return cost + self.labour[j] if self.labour is not None else cost

    def budget_short(self, j: int, s: int) -> float:
        """How far over budget placing j at s would go (0 when it fits)."""
        d, cost = self.data, self.period_cost(j)
        spent = self.spent_period.copy()
        spent[s : s + len(cost)] += cost
        short = 0.0
        if d.total_budget is not None:
            short = max(short, spent.sum() - d.total_budget)
        if d.period_cost_cap is not None:
            short = max(short, float((spent - d.period_cost_cap).max()))
        if d.year_of_period is not None:
            for y, (_, cap) in enumerate(d.year_caps):
                short = max(short, float(spent[d.year_of_period == y].sum()) - cap)
        return short if short > BUDGET_TOL * max(1.0, spent.sum()) else 0.0

    def capacity_flows(self, j: int, s: int) -> list[np.ndarray] | None:
        """Flows for every period of j started at s, or None at the first period it breaks."""
        flows = []
        for r, t in enumerate(range(s, s + int(self.data.length[j]))):
            flow = self.loads[t].try_add(self._extra(j, r))
            if flow is None:
                return None
            flows.append(flow)
        return flows

    def place(self, j: int, s: int, flows: list[np.ndarray]) -> None:
        for r, flow in enumerate(flows):
            self.loads[s + r].commit(self._extra(j, r), flow)
        self.spent_period[s : s + int(self.data.length[j])] += self.period_cost(j)
        self.starts[j] = s

    def remove(self, j: int) -> None:
        s = self.starts.pop(j)
        for r in range(int(self.data.length[j])):
            self.loads[s + r].release(self._extra(j, r))
        self.spent_period[s : s + int(self.data.length[j])] -= self.period_cost(j)

    def shortfall(self, j: int, s: int) -> np.ndarray:
        """(relative period, class) units that cannot be served if j started at s."""
        out = np.zeros((int(self.data.length[j]), len(self.data.classes)), dtype=np.int64)
        for r in range(int(self.data.length[j])):
            out[r] = self.loads[s + r].shortfall(self._extra(j, r))
        return out

    def _extra(self, j: int, r: int) -> np.ndarray:
        extra = np.zeros(len(self.data.classes), dtype=np.int64)
        extra[self.data.project_classes[j]] = self.data.demand[j][r]
        return extra

    @classmethod
    def of(cls, data: ProblemData, starts: dict[int, int]) -> Portfolio:
        """A portfolio holding ``starts`` (which must be feasible), e.g. a solver's plan."""
        portfolio = cls(data)
        for t, load in enumerate(portfolio.loads):
            for j, s in starts.items():
                if s <= t < s + int(data.length[j]):
                    load.demand = load.demand + portfolio._extra(j, t - s)
            _, load.flow = load.network.route(load.demand, load.capacity)
        for j, s in starts.items():
            portfolio.spent_period[s : s + int(data.length[j])] += portfolio.period_cost(j)
        portfolio.starts = dict(starts)
        return portfolio
