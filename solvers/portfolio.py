"""The state of a portfolio being built: loads per period, money spent, starts chosen.

Shared by the greedy solver, explanations and repair steps, so that "does project j fit
at start s?" has exactly one answer everywhere.

Scanning the starts of one project is the hot loop of the greedy and of explanations, so
it is done by a :class:`StartScan`: a vectorised necessary test rules out most (period,
demand row) pairs at once, and each remaining pair gets one exact check, however many
starts share it (a project's demand rows repeat within a phase).
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

    def __init__(self, data: ProblemData, hall: HallSets | None = None):
        self.data = data
        network = Network(data.group_eligible)
        self.loads = [PeriodLoad(data.group_capacity[:, t], network) for t in range(data.num_periods)]
        self.starts: dict[int, int] = {}
        self.spent_period = np.zeros(data.num_periods)
        self.labour = labour_estimate(data) if data.include_labour else None
        self.hall = hall or HallSets(data)
        self._scan: StartScan | None = None  # valid until a load changes

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
        """Flows for every period of j started at s, or None if some period breaks."""
        return self.scan(j).flows(s)

    def scan(self, j: int) -> StartScan:
        """The capacity checks of j's starts against the loads as they stand (reused
        until a load changes)."""
        if self._scan is None or self._scan.j != j:
            self._scan = StartScan(self, j)
        return self._scan

    def place(self, j: int, s: int, flows: list[np.ndarray]) -> None:
        self._scan = None
        for r, flow in enumerate(flows):
            self.loads[s + r].commit(self._extra(j, r), flow)
        self.spent_period[s : s + int(self.data.length[j])] += self.period_cost(j)
        self.starts[j] = s

    def remove(self, j: int) -> None:
        self._scan = None
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
        demand = np.zeros((data.num_periods, len(data.classes)), dtype=np.int64)
        for j, s in starts.items():
            demand[s : s + int(data.length[j]), data.project_classes[j]] += data.demand[j]
        for t, load in enumerate(portfolio.loads):
            load.set_demand(demand[t])
        for j, s in starts.items():
            portfolio.spent_period[s : s + int(data.length[j])] += portfolio.period_cost(j)
        portfolio.starts = dict(starts)
        return portfolio


class HallSets:
    """Class sets whose Hall condition is a cheap necessary test for a fit: each class,
    each skill from each level up, and all classes (the CP-SAT model's first cuts). A
    period's demand fits only if, for each set, its demand is at most the capacity of the
    groups that can serve some class in it."""

    def __init__(self, data: ProblemData):
        sets = [[c] for c in range(len(data.classes))]
        for k in range(len(data.skill_ids)):
            of_skill = [(cls.min_level, c) for c, cls in enumerate(data.classes) if cls.skill == k]
            for level in sorted({lv for lv, _ in of_skill}):
                sets.append([c for lv, c in of_skill if lv >= level])
        sets.append(list(range(len(data.classes))))
        self.member = np.zeros((len(data.classes), len(sets)), dtype=np.int64)
        for i, members in enumerate(sets):
            self.member[members, i] = 1
        serves = (data.group_eligible.astype(float) @ self.member) > 0  # (groups, sets)
        # float for BLAS speed; sums of integer units stay exact far beyond any staff size
        self.capacity = np.rint(data.group_capacity.T.astype(float) @ serves).astype(np.int64)


class StartScan:
    """Exact capacity checks of project j's starts against the loads as they stand.

    Each (period, distinct demand row) pair is decided once: first by the Hall-set test,
    vectorised over all periods, and only if that passes by the period's exact check.
    Valid until a load changes (:class:`Portfolio` drops it then).
    """

    def __init__(self, portfolio: Portfolio, j: int):
        data = portfolio.data
        self.portfolio, self.j, self.length = portfolio, j, int(data.length[j])
        rows, row_of = np.unique(data.demand[j], axis=0, return_inverse=True)
        self.row_of = row_of.reshape(-1)
        self.ruled_out = self._hall_test(rows)  # (periods, distinct rows)
        self.known: dict[tuple[int, int], np.ndarray | None] = {}

    def _hall_test(self, rows: np.ndarray) -> np.ndarray:
        """Per period and distinct row, whether some Hall set breaks when the row is added."""
        p, classes = self.portfolio, self.portfolio.data.project_classes[self.j]
        member = p.hall.member[classes]
        touched = np.flatnonzero(member.any(axis=0))  # only sets with a class of j can break
        need = rows @ member[:, touched]  # (rows, sets)
        demand = np.array([load.demand for load in p.loads])  # (periods, classes)
        slack = p.hall.capacity[:, touched] - demand @ p.hall.member[:, touched]
        return (need[None, :, :] > slack[:, None, :]).any(axis=2)

    def flows(self, s: int) -> list[np.ndarray] | None:
        """Flows for every period of j started at s, or None if some period breaks."""
        r = np.arange(self.length)
        if self.ruled_out[s + r, self.row_of].any():
            return None
        flows = []
        for r_ in range(self.length):
            flow = self.flow(s + r_, r_)
            if flow is None:
                return None
            flows.append(flow)
        return flows

    def failing(self, s: int) -> int:
        """How many periods of j started at s break."""
        return sum(self.flow(s + r, r) is None for r in range(self.length))

    def flow(self, t: int, r: int) -> np.ndarray | None:
        """A flow for period t with j's relative period r added, or None."""
        key = (t, int(self.row_of[r]))
        if key not in self.known:
            ruled_out = self.ruled_out[t, key[1]]
            self.known[key] = (
                None if ruled_out else self.portfolio.loads[t].try_add(self.portfolio._extra(self.j, r))
            )
        return self.known[key]
