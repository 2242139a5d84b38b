"""The LP relaxation of the portfolio: a proven bound, and a guide for the search.

The rules are the CP-SAT model's (``solvers/cpsat``) with every start literal relaxed to
[0, 1]: at most one start per project (exactly one if mandatory), precedence with lag in
cumulative form (by any period, j has started no more than its predecessor had started
``length + lag`` periods earlier), budgets, and capacity as Hall cuts. Cuts are separated
to exactness: the LP's fractional demand in every period is routed by max-flow, and a
minimum cut that the demand breaks becomes a new cut for every period, until none is
broken. The LP optimum is then the optimum of the time-indexed LP with explicit flows,
and a valid upper bound on every plan's objective; an LP stopped before that is a
relaxation of it, so its optimum is a valid bound too.

Above about 1.5 million demand coefficients (size L and up) the LP is coarse instead: starts
only every few periods, so it is a restriction, with no bound, but its plan still guides (and
is rounded into) the first plans.

Solved with HiGHS's dual simplex, which re-solves warm after cuts are added. Only the
``value`` and ``priority`` objectives have a relaxation here: the makespan LP is too weak
to guide or bound anything.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np

from engine.problem import ProblemData
from solvers.cpsat.hall import ClassSet
from solvers.flow import Network
from solvers.portfolio import Rate, budget_allowance, period_costs

log = logging.getLogger(__name__)
WHOLE = 1e-6  # a project the LP takes to within this of 1 is taken whole (HiGHS's tolerance)
BROKEN = 1e-6  # relative: demand above capacity by less than this is LP tolerance, not a cut
BOUND_SLACK = 1e-6  # relative: loosen the LP optimum by HiGHS's tolerances so the bound stays valid
MAX_SOLVES = 1_000  # rounds of cuts: the time limit ends them long before this
MAX_ENTRIES = 1_500_000  # demand coefficients; beyond this (size L) the LP takes minutes, so
COARSE_ENTRIES = 250_000  # a coarse LP with starts every few periods, about this big, guides instead
# (L: every 11 periods, about 7 s on a slow machine; at 500,000 it took 13 s and missed its share of 60 s)


@dataclass
class Relaxation:
    """What the LP says: an upper bound, and how much of each project it would take."""

    bound: float | None  # on the plan objective (value or priority); None from a coarse LP
    exact: bool  # every broken Hall cut was added: the bound is the flow LP's own
    stride: int  # periods between the starts it considers: 1, or more in a coarse LP
    selected: np.ndarray  # (project,) how much of each project the LP selects, 0 to 1
    sets: set[ClassSet]  # the Hall sets the LP ended with (all of them, not only new ones)
    likeliest: np.ndarray  # (project,) the start the LP takes most of (the earliest if none)
    column_project: np.ndarray  # (column,) the LP's start columns, in project order: whose,
    column_start: np.ndarray  # which start,
    column_fraction: np.ndarray  # and how much of it the LP takes


def solve_relaxation(
    data: ProblemData,
    sets: set[ClassSet],
    *,
    time_limit: float,
    first_solve_limit: float | None = None,
    iterations: int | None = None,
    solves: int | None = None,
    stride: int | None = None,
    labour_rate: Rate = "cheapest",
) -> Relaxation | None:
    """The LP relaxation within ``time_limit`` seconds (and, if given, ``iterations`` simplex
    iterations per solve and ``solves`` solves, one per round of cuts, which make it
    deterministic); None when no LP could be solved in time, the objective is makespan, or
    the LP itself is infeasible.

    The first solve may end as late as ``first_solve_limit`` seconds after the call, if that
    is longer (building the LP counts too): it gives the bound and the plan to round, while
    the rounds of cuts after it move the bound little (M seed 1: 2.4 s to build and solve,
    then 0.3% in 40 s of rounds). Separating cuts after a solve may still overrun either.

    With ``stride`` above 1 the LP is coarse: each project may start only every ``stride``
    periods from its earliest start, or at its latest. That LP is a restriction, not a
    relaxation, so it gives no bound; but rounded (``likeliest``) its plan is a good one
    (measured at L: 7% above greedy, where the search alone finds 1%). By default the stride
    is ``lp_stride``'s.

    Labour in the budget is priced at the cheapest qualified rate (no assignment costs less,
    so the bound holds); at the dearest (what the solvers reserve) the LP guides plans that
    hold whoever does the work, but its bound is not one."""
    if data.objective == "makespan" or data.num_projects == 0:
        return None
    started = time.perf_counter()
    deadline = started + time_limit
    first_deadline = started + max(time_limit, first_solve_limit or 0.0)
    if stride is None:
        stride = lp_stride(data)
    lp = _Lp(data, stride, labour_rate)
    if iterations is not None:
        lp.highs.setOptionValue("simplex_iteration_limit", int(iterations))
    if lp.infeasible:
        return None
    sets = set(sets)
    lp.add_cuts(sets)
    exact, bound = False, None
    for solve in range(MAX_SOLVES if solves is None else solves):
        left = (first_deadline if solve == 0 else deadline) - time.perf_counter()
        if left <= 0.01 or not lp.solve(left):
            break
        bound = lp.objective() + BOUND_SLACK * max(1.0, abs(lp.objective()))
        broken = lp.broken_sets() - sets
        sets |= broken
        if not broken:
            exact = True
            break
        if stride > 1:  # a guide, not a bound: its first plan serves (at L a second solve
            break  # takes longer than the first's 5 s and rounds no better)
        if deadline - time.perf_counter() <= 0.01:
            break  # no time for another solve: its cuts would go unused
        lp.add_cuts(broken)
    if bound is None:
        return None
    log.info(
        "LP relaxation: objective %.1f, %d sets, exact %s, starts every %d", bound, len(sets), exact, stride
    )
    proven = bound if stride == 1 and (labour_rate == "cheapest" or not data.include_labour) else None
    columns = (lp.project, lp.start, lp.values.copy())
    return Relaxation(proven, exact, stride, lp.selected(), sets, lp.likeliest_starts(), *columns)


class _Lp:
    """The relaxation as a HiGHS model: start columns (every ``stride`` periods from each
    project's earliest start, and its latest), rows added family by family."""

    def __init__(self, data: ProblemData, stride: int = 1, labour_rate: Rate = "cheapest"):
        self.data, self.labour_rate = data, labour_rate
        starts = [_grid(int(e), int(lt), stride) for e, lt in zip(data.earliest, data.latest, strict=True)]
        count = np.array([len(g) for g in starts], dtype=np.int64)
        self.first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
        self.count = count
        self.project = np.repeat(np.arange(data.num_projects), count)
        self.start = np.concatenate([np.zeros(0, dtype=np.int64), *starts])
        self.infeasible = bool((data.mandatory & (count == 0)).any())
        self._load_entries()
        self.highs = _highs()
        value = np.array(
            [data.start_value(int(j), int(s)) for j, s in zip(self.project, self.start, strict=True)]
        )
        n = len(self.project)
        self.highs.addVars(n, np.zeros(n), np.ones(n))
        if n:
            self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), value.astype(np.float64))
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.values = np.zeros(n)
        self._selection()
        self._dependencies()
        self._budget()

    def _load_entries(self) -> None:
        """Every (column, period, class, units) of demand, as flat arrays."""
        data = self.data
        cols, periods, classes, units = [], [], [], []
        for j in range(data.num_projects):
            if not self.count[j]:
                continue
            demand = data.demand[j]  # (length, classes of j)
            r, ci = np.nonzero(demand)
            for col in range(self.first[j], self.first[j] + self.count[j]):
                cols.append(np.full(len(r), col))
                periods.append(int(self.start[col]) + r)
                classes.append(data.project_classes[j][ci])
                units.append(demand[r, ci])
        self.e_col, self.e_period, self.e_class, self.e_units = (
            np.concatenate(a).astype(np.int64) if a else np.zeros(0, dtype=np.int64)
            for a in (cols, periods, classes, units)
        )

    def _add_rows(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        upper: np.ndarray,
        lower: np.ndarray | None = None,
    ) -> None:
        """Rows ``lower <= a x <= upper`` given as (row, column, value) triplets, rows 0-based here."""
        num = len(upper)
        if num == 0:
            return
        order = np.lexsort((cols, rows))
        rows, cols, vals = rows[order], cols[order], vals[order].astype(np.float64)
        starts = np.searchsorted(rows, np.arange(num)).astype(np.int32)
        low = np.full(num, -highspy.kHighsInf) if lower is None else lower.astype(np.float64)
        self.highs.addRows(num, low, upper.astype(np.float64), len(vals), starts, cols.astype(np.int32), vals)

    def _selection(self) -> None:
        placeable = np.flatnonzero(self.count > 0)
        rows = np.searchsorted(placeable, self.project)
        lower = self.data.mandatory[placeable].astype(np.float64)
        self._add_rows(
            rows, np.arange(len(self.project)), np.ones(len(self.project)), np.ones(len(placeable)), lower
        )

    def _dependencies(self) -> None:
        """By each start s of j: sum of j's starts <= s  <=  sum of pred's starts <= s - gap."""
        data, rows, cols, vals, num = self.data, [], [], [], 0
        for j in range(data.num_projects):
            for pred, lag in data.predecessors[j]:
                gap = int(data.length[pred]) + lag
                mine = self.first[j] + np.arange(self.count[j])
                theirs = self.first[pred] + np.arange(self.count[pred])
                for k, col in enumerate(mine):
                    ready = theirs[self.start[theirs] + gap <= self.start[col]]
                    rows += [np.full(k + 1 + len(ready), num)]
                    cols += [mine[: k + 1], ready]
                    vals += [np.ones(k + 1), -np.ones(len(ready))]
                    num += 1
        if num:
            self._add_rows(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), np.zeros(num))

    def _budget(self) -> None:
        data = self.data
        if data.scenario.policy.budget is None:
            return
        costs = period_costs(data, self.labour_rate)
        per_col = [costs[j] for j in self.project]
        caps: list[tuple[np.ndarray, float]] = []  # (periods counted, cap)
        if data.total_budget is not None:
            caps.append((np.arange(data.num_periods), data.total_budget))
        if data.period_cost_cap is not None:
            caps += [(np.array([t]), float(cap)) for t, cap in enumerate(data.period_cost_cap)]
        if data.year_of_period is not None:
            caps += [
                (np.flatnonzero(data.year_of_period == y), cap) for y, (_, cap) in enumerate(data.year_caps)
            ]
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        upper: list[float] = []
        for periods, cap in caps:
            counted = np.isin(np.arange(data.num_periods), periods)
            spend = np.array(
                [cost[counted[s : s + len(cost)]].sum() for cost, s in zip(per_col, self.start, strict=True)]
            )
            if spend.size and spend.sum() > cap:
                nz = np.flatnonzero(spend)
                rows.append(np.full(len(nz), len(upper)))
                cols.append(nz)
                vals.append(spend[nz])
                upper.append(budget_allowance(cap))
        if upper:
            self._add_rows(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), np.array(upper))

    def add_cuts(self, sets: set[ClassSet]) -> None:
        """One row per set and period where the set's demand could exceed what serves it."""
        data = self.data
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        upper: list[float] = []
        for classes in sorted(sets, key=sorted):
            members = np.zeros(len(data.classes), dtype=bool)
            members[list(classes)] = True
            hit = members[self.e_class]
            if not hit.any():
                continue
            cap = data.group_capacity[data.group_eligible[:, members].any(axis=1)].sum(axis=0)
            period, col, units = self.e_period[hit], self.e_col[hit], self.e_units[hit]
            most = np.zeros(data.num_periods)
            np.add.at(most, period, units)  # every start at once: the most the set could need
            binding = most > cap
            row_of = len(upper) + np.cumsum(binding) - 1  # a row per period where it could bind
            keep = binding[period]
            rows.append(row_of[period[keep]])
            cols.append(col[keep])
            vals.append(units[keep])
            upper += cap[binding].astype(float).tolist()
        if upper:
            r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
            key = r * len(self.project) + c  # merge a column's units over the set's classes
            uniq, inverse = np.unique(key, return_inverse=True)
            merged = np.zeros(len(uniq))
            np.add.at(merged, inverse, v)
            self._add_rows(uniq // len(self.project), uniq % len(self.project), merged, np.array(upper))

    def solve(self, seconds: float) -> bool:
        started = time.perf_counter()
        self.highs.setOptionValue("time_limit", float(seconds))
        self.highs.run()
        if self.highs.getModelStatus() == highspy.HighsModelStatus.kUnknown:
            # Warm-started from the last basis, HiGHS now and then gives up on numerics (S seed 1,
            # fifth solve, once the budget row allowed its tolerance); from scratch it solves.
            self.highs.clearSolver()
            self.highs.setOptionValue("time_limit", max(0.01, seconds - (time.perf_counter() - started)))
            self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        self.values = np.asarray(self.highs.getSolution().col_value, dtype=np.float64)
        return True

    def objective(self) -> float:
        return float(self.highs.getInfo().objective_function_value)

    def broken_sets(self) -> set[ClassSet]:
        """Class sets whose Hall cut the LP's demand breaks in some period (min-cut per period)."""
        data = self.data
        demand = np.zeros((data.num_periods, len(data.classes)))
        np.add.at(demand, (self.e_period, self.e_class), self.e_units * self.values[self.e_col])
        network, found = Network(data.group_eligible), set()
        for t in np.flatnonzero(demand.sum(axis=1) > 0):
            _, blocking = network.blocking_classes(
                np.floor(demand[t]).astype(np.int64), data.group_capacity[:, t]
            )
            if blocking:
                need = demand[t, sorted(blocking)].sum()
                reach = data.group_eligible[:, sorted(blocking)].any(axis=1)
                cap = float(data.group_capacity[reach, t].sum())
                if need > cap * (1 + BROKEN) + 1:
                    found.add(blocking)
        return found

    def likeliest_starts(self) -> np.ndarray:
        return likeliest_starts(self.data.earliest, self.project, self.start, self.values)

    def selected(self) -> np.ndarray:
        """How much of each project the LP takes: its start fractions summed, 0 to 1."""
        selected = np.zeros(self.data.num_projects)
        np.add.at(selected, self.project, self.values)
        return np.minimum(selected, 1.0)


def sampled_starts(relaxation: Relaxation, draw: np.ndarray) -> dict[int, int]:
    """Randomised rounding, one draw in [0, 1) per project: project j is in when its draw is
    below the share of j the LP takes, at the start where j's fractions, added up in column
    order (start order), pass the draw: so each start with the chance the LP gives it, and
    never one the LP gives nothing. A project the LP takes whole to within its tolerance
    (a mandatory one, say) is always in."""
    fraction = np.clip(relaxation.column_fraction, 0.0, None)
    count = np.bincount(relaxation.column_project, minlength=len(draw))
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    starts = {}
    for j in np.flatnonzero(count):
        columns = slice(first[j], first[j] + count[j])
        running = np.cumsum(fraction[columns])
        point = min(draw[j], running[-1] - WHOLE) if running[-1] >= 1 - WHOLE else draw[j]
        if point < running[-1]:  # so the first column whose sum passes it has a positive fraction
            column = first[j] + int(np.searchsorted(running, point, side="right"))
            starts[int(j)] = int(relaxation.column_start[column])
    return starts


def _grid(earliest: int, latest: int, stride: int) -> np.ndarray:
    """Starts every ``stride`` periods from ``earliest``, and ``latest`` (a deadline may leave
    no other start that fits after the project's predecessors)."""
    if latest < earliest:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.r_[np.arange(earliest, latest + 1, stride), latest]).astype(np.int64)


def likeliest_starts(
    earliest: np.ndarray, project: np.ndarray, start: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Each project's start with the largest LP fraction, the earliest such on a tie (its
    earliest start when it has none), from the LP's columns (project, start, value)."""
    starts = earliest.copy()
    if len(project):
        # by project, then by fraction, then latest start first: each project's last is the pick
        order = np.lexsort((-start, values, project))
        last = np.flatnonzero(np.r_[np.diff(project[order]) != 0, True])
        starts[project[order[last]]] = start[order[last]]
    return starts


def lp_stride(data: ProblemData) -> int:
    """Periods between the LP's starts: 1 up to ``MAX_ENTRIES`` demand coefficients, and above
    that (a coarse LP) whatever leaves about ``COARSE_ENTRIES``."""
    entries = demand_entries(data)
    return 1 if entries <= MAX_ENTRIES else -(-entries // COARSE_ENTRIES)


def demand_entries(data: ProblemData) -> int:
    """How many demand coefficients a time-indexed model has (starts x nonzero demand cells):
    the measure of how big the LP and the whole-portfolio CP-SAT model get."""
    starts = np.maximum(data.latest - data.earliest + 1, 0)
    return int(sum(int(starts[j]) * int(np.count_nonzero(d)) for j, d in enumerate(data.demand)))


def _highs() -> highspy.Highs:
    swallow_banner()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    return highs


@functools.cache
def swallow_banner() -> None:
    """The first HiGHS instance prints a banner on C stdout; keep it out of plans written there."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout to protect
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        highspy.Highs()
        ctypes.CDLL(None).fflush(None)  # the banner may sit in C's buffer
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
