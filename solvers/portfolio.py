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
from typing import Literal

import numpy as np

from engine.problem import UNITS_PER_HOUR, ProblemData
from solvers.flow import Network, PeriodLoad

BUDGET_TOL = 1e-9
Rate = Literal["dearest", "cheapest"]  # which qualified person's rate prices labour


@dataclass
class Schedule:
    """A solver's decision: which projects start when, and what it knows about quality."""

    starts: dict[int, int]  # selected project -> start period
    status: str  # optimal | feasible | infeasible | unknown
    bound: float | None = None
    conflicts: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def over_budget(data: ProblemData, spent: np.ndarray) -> float:
    """How far spending per period goes over the tightest budget cap (0 within every one)."""
    short = 0.0
    if data.total_budget is not None:
        short = _over(float(spent.sum()), data.total_budget)
    if data.period_cost_cap is not None:
        caps = data.period_cost_cap
        short = max([short, *(_over(float(a), float(cap)) for a, cap in zip(spent, caps, strict=True))])
    if data.year_of_period is not None:
        for y, (_, cap) in enumerate(data.year_caps):
            short = max(short, _over(float(spent[data.year_of_period == y].sum()), cap))
    return short


def period_costs(data: ProblemData, labour_rate: Rate = "dearest") -> list[np.ndarray]:
    """Per project and relative period, what it costs against the budget: its cost spread
    evenly, plus (with ``include_labour``) its labour at the dearest rate, or the cheapest
    (``labour_estimate``)."""
    labour = labour_estimate(data, labour_rate) if data.include_labour else None
    costs = [np.full(int(data.length[j]), data.cost[j] / data.length[j]) for j in range(data.num_projects)]
    return costs if labour is None else [cost + labour[j] for j, cost in enumerate(costs)]


def spending(data: ProblemData, starts: dict[int, int], costs: list[np.ndarray]) -> np.ndarray:
    """What ``starts`` spend in each period, given each project's ``period_costs``."""
    spent = np.zeros(data.num_periods)
    for j, s in starts.items():
        spent[s : s + len(costs[j])] += costs[j]
    return spent


def _over(spent: float, cap: float) -> float:
    """How far ``spent`` is over ``cap``, if beyond what the cap allows."""
    return spent - cap if spent > budget_allowance(cap) else 0.0


def budget_allowance(cap: float) -> float:
    """What a budget cap allows: the cap, and a tolerance relative to it (not to all spending:
    at XL that let a period go a few units over its own cap) for sums in floating point, as
    the checkers allow. The solvers' models allow the same, so their bounds hold."""
    return cap + BUDGET_TOL * max(1.0, abs(cap))


def labour_estimate(data: ProblemData, rate: Rate = "dearest") -> list[np.ndarray]:
    """Per project and relative period, what its labour costs (for budgets with
    ``include_labour``): each class's hours at the dearest rate of anyone who qualifies, the
    most any assignment could cost (what the solvers reserve, so every plan holds whoever does
    the work), or at the cheapest, the least (the LP's, so that its bound holds)."""
    pick = np.max if rate == "dearest" else np.min
    rates = np.zeros(len(data.classes))
    for c, cls in enumerate(data.classes):
        who = data.levels[:, cls.skill] >= cls.min_level
        rates[c] = pick(data.cost_per_hour[who]) if who.any() else 0.0
    return [d @ rates[data.project_classes[j]] / UNITS_PER_HOUR for j, d in enumerate(data.demand)]


class Portfolio:
    """Projects placed so far, with exact capacity and budget bookkeeping."""

    def __init__(self, data: ProblemData):
        self.data = data
        network = Network(data.group_eligible)
        self.loads = [PeriodLoad(data.group_capacity[:, t], network) for t in range(data.num_periods)]
        self.starts: dict[int, int] = {}
        self.spent_period = np.zeros(data.num_periods)
        self.costs = period_costs(data)
        self.hall = HallSets(data, self.loads)
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
        """What project j costs in each of its relative periods (see ``period_costs``)."""
        return self.costs[j]

    def budget_short(self, j: int, s: int) -> float:
        """How far over budget placing j at s would go (0 when it fits)."""
        cost = self.period_cost(j)
        spent = self.spent_period.copy()
        spent[s : s + len(cost)] += cost
        return over_budget(self.data, spent)

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
        self.hall.add_load(j, s, 1)
        self.spent_period[s : s + int(self.data.length[j])] += self.period_cost(j)
        self.starts[j] = s

    def remove(self, j: int) -> None:
        self._scan = None
        s = self.starts.pop(j)
        for r in range(int(self.data.length[j])):
            self.loads[s + r].release(self._extra(j, r))
        self.hall.add_load(j, s, -1)
        self.spent_period[s : s + int(self.data.length[j])] -= self.period_cost(j)

    def shortfall(self, j: int, s: int) -> np.ndarray:
        """(relative period, class) units that cannot be served if j started at s."""
        return self.scan(j).shortfall(s)

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
        portfolio.hall.recount()
        for j, s in starts.items():
            portfolio.spent_period[s : s + int(data.length[j])] += portfolio.period_cost(j)
        portfolio.starts = dict(starts)
        return portfolio


class HallSets:
    """Class sets whose Hall condition is a cheap necessary test for a fit, with how much
    of each set the portfolio's loads use per period.

    A period's demand fits only if, for each set of classes, its demand is at most the
    capacity of the groups that can serve some class in it. The sets start as each class,
    each skill from each level up, and all classes (the CP-SAT model's first cuts); each
    max-flow that fails adds the set its minimum cut names, so a bottleneck found once
    rules out every later check that breaks it without another max-flow.
    """

    def __init__(self, data: ProblemData, loads: list[PeriodLoad]):
        self.data, self.loads = data, loads
        self.index: dict[frozenset[int], int] = {}
        sets = [frozenset([c]) for c in range(len(data.classes))]
        for k in range(len(data.skill_ids)):
            of_skill = [(cls.min_level, c) for c, cls in enumerate(data.classes) if cls.skill == k]
            for level in sorted({lv for lv, _ in of_skill}):
                sets.append(frozenset(c for lv, c in of_skill if lv >= level))
        sets = list(dict.fromkeys([*sets, frozenset(range(len(data.classes)))]))
        self.index = {classes: k for k, classes in enumerate(sets)}
        self.member = np.zeros((len(data.classes), len(sets)), dtype=np.int64)
        for k, classes in enumerate(sets):
            self.member[list(classes), k] = 1
        # float products for BLAS speed; sums of integer units stay exact far beyond any size
        serves = data.group_eligible.astype(float) @ self.member > 0
        self.capacity = np.rint(data.group_capacity.T.astype(float) @ serves).astype(np.int64)
        self.used = np.zeros_like(self.capacity)  # (periods, sets)
        self.recount()

    def recount(self) -> None:
        """Recompute the sets' use from the loads (after they were set directly)."""
        demand = np.array([load.demand for load in self.loads], dtype=float)
        self.used = np.rint(demand @ self.member).astype(np.int64)

    def learn(self, classes: frozenset[int]) -> None:
        """Test ``classes`` from now on (a set whose Hall condition a max-flow found broken)."""
        if not classes or classes in self.index:
            return
        self.index[classes] = self.member.shape[1]
        column = np.zeros((len(self.data.classes), 1), dtype=np.int64)
        column[list(classes)] = 1
        serves = self.data.group_eligible[:, list(classes)].any(axis=1)
        capacity = self.data.group_capacity[serves].sum(axis=0)
        used = np.array([load.demand[list(classes)].sum() for load in self.loads])
        self.member = np.hstack([self.member, column])
        self.capacity = np.column_stack([self.capacity, capacity])
        self.used = np.column_stack([self.used, used])

    def add_load(self, j: int, s: int, sign: int) -> None:
        """Count project j started at s in (sign 1) or out (sign -1) of the sets' use."""
        rows = self.data.demand[j] @ self.member[self.data.project_classes[j]]
        self.used[s : s + len(rows)] += sign * rows

    def ruled_out(self, j: int, rows: np.ndarray) -> np.ndarray:
        """(periods, rows): whether adding each of j's demand ``rows`` breaks some set."""
        member = self.member[self.data.project_classes[j]]
        touched = np.flatnonzero(member.any(axis=0))  # only sets with a class of j can break
        need = rows @ member[:, touched]  # (rows, sets)
        slack = self.capacity[:, touched] - self.used[:, touched]  # (periods, sets)
        return (need[None, :, :] > slack[:, None, :]).any(axis=2)


class StartScan:
    """Exact capacity checks of project j's starts against the loads as they stand.

    Each (period, distinct demand row) pair is decided once: by the Hall-set test,
    vectorised over all periods, and only if that passes by the period's exact check.
    Valid until a load changes (:class:`Portfolio` drops it then).
    """

    def __init__(self, portfolio: Portfolio, j: int):
        data = portfolio.data
        self.portfolio, self.j, self.length = portfolio, j, int(data.length[j])
        rows, row_of = np.unique(data.demand[j], axis=0, return_inverse=True)
        self.row_of = row_of.reshape(-1)
        self.ruled_out = portfolio.hall.ruled_out(j, rows)  # (periods, distinct rows)
        self.known: dict[tuple[int, int], np.ndarray | None] = {}
        self.short: dict[tuple[int, int], np.ndarray] = {}  # per class, where a max-flow found it

    def flows(self, s: int) -> list[np.ndarray] | None:
        """Flows for every period of j started at s, or None if some period breaks."""
        if self.lower_bound(s) > 0:
            return None
        flows = []
        for r in range(self.length):
            flow = self.flow(s + r, r)
            if flow is None:
                return None
            flows.append(flow)
        return flows

    def lower_bound(self, s: int) -> int:
        """How many periods of j started at s the Hall-set test alone finds broken."""
        return int(self.ruled_out[s + np.arange(self.length), self.row_of].sum())

    def failing(self, s: int, beyond: int | None = None) -> int:
        """How many periods of j started at s break; once more than ``beyond`` are found,
        any count above it (the rest are not checked)."""
        count = self.lower_bound(s)  # the periods the Hall-set test rules out need no max-flow
        for r in np.flatnonzero(~self.ruled_out[s + np.arange(self.length), self.row_of]):
            if beyond is not None and count > beyond:
                break
            count += self.flow(s + int(r), int(r)) is None
        return count

    def fewest_failing(self, first: int, last: int) -> int:
        """The start in first..last with the fewest periods that break (earliest on ties).

        Starts are tried in order of their lower bound, and the search stops once no
        start left can beat the best; a start's periods are checked only until it cannot
        beat the best either, so most starts need few exact checks."""
        best: tuple[int, int] | None = None
        for bound, s in sorted((self.lower_bound(s), s) for s in range(first, last + 1)):
            if best is not None and (bound, s) > best:
                break
            # s beats the best only with fewer failing periods, or as many and earlier
            beyond = None if best is None else best[0] - (s > best[1])
            best = min(best or (self.length + 1, s), (self.failing(s, beyond), s))
        assert best is not None, "an empty range of starts"
        return best[1]

    def shortfall(self, s: int) -> np.ndarray:
        """(relative period, class) units that cannot be served if j started at s."""
        p = self.portfolio
        out = np.zeros((self.length, len(p.data.classes)), dtype=np.int64)
        for r in range(self.length):
            if self.flow(s + r, r) is None:  # periods that fit fall short by nothing
                key = (s + r, int(self.row_of[r]))
                if key not in self.short:
                    self.short[key] = p.loads[s + r].shortfall(p._extra(self.j, r))
                out[r] = self.short[key]
        return out

    def flow(self, t: int, r: int) -> np.ndarray | None:
        """A flow for period t with j's relative period r added, or None."""
        key = (t, int(self.row_of[r]))
        if key not in self.known:
            flow = None
            if not self.ruled_out[key]:
                fit = self.portfolio.loads[t].check(self.portfolio._extra(self.j, r))
                self.portfolio.hall.learn(fit.blocking)
                if fit.flow is None and fit.short is not None:
                    self.short[key] = fit.short
                flow = fit.flow
            self.known[key] = flow
        return self.known[key]
