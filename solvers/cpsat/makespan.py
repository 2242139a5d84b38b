"""Makespan as an interval model: one start variable per project, capacity as cumulatives.

The time-indexed model needs a Boolean per project and start period, which grows with the
horizon; for "when can we finish everything?" (every project runs) CP-SAT's scheduling
propagators on intervals are far stronger. Each project is a start variable; each run of
periods where its demand is constant (a phase, usually) is an interval at a fixed offset.

Capacity is exact in the same way as the time-indexed model: for a set S of demand
classes, the demand of S in every period is at most the capacity of the groups that can
serve some class in S (Hall's theorem). A per-skill cumulative alone would be wrong for
multi-skilled people, who would be counted once per skill. Each set is one cumulative;
where its capacity varies by period (leave, part-time), fixed intervals use up the
difference from its peak. The search starts from ``hall.initial_sets`` and every solution
is checked by max-flow; sets it finds broken become new cumulatives and the model is
solved again, warm-started from the best exact plan, exactly as ``solve`` does for the
time-indexed model. The model is a relaxation until its sets suffice, so its bound is
always valid, and a plan is proven optimal only when the exact plan meets it.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.delays import END, START, Delays, least_delays, spans
from solvers.cpsat.hall import ClassSet, FlowCheck, initial_sets
from solvers.cpsat.objective import Objective
from solvers.cpsat.precedence import CriticalPaths, interchangeable, symmetric_order
from solvers.cpsat.solve import (
    Progress,
    _Budget,
    _finish,
    _infeasible,
    _Search,
    _solver,
    keeps_windows_and_dependencies,
)
from solvers.greedy import solve_greedy
from solvers.portfolio import Schedule

log = logging.getLogger(__name__)
MIN_ROUND_SHARE = 0.05  # of the time left: how long a round runs before new cuts may end it
BUDGET_TOL = 1e-9
MAX_PIECES_FOR_CLIQUES = 600  # the clash matrix is pieces x pieces
PROBE_SHARE = 0.1  # of the time limit: most schedules are proven in this, without delays
GENETIC_SHARE = 0.5  # of the time left after the probe: for the genetic search (serial.py)
GENETIC_FROM = 50  # projects: below, CP-SAT finds the best plans itself (PSPLIB j30: all 480) and
# the search would only take time from the proofs
DELAY_SHARE = 0.3  # of the time left after that: for the least delays (delays.py)


def suits(data: ProblemData) -> bool:
    """Whether the interval model covers this scenario: makespan (every project runs), with
    no budget that depends on timing, and every project's window open."""
    if data.objective != "makespan" or data.num_projects == 0:
        return False
    if data.period_cost_cap is not None or data.year_caps or data.include_labour:
        return False
    total = data.total_budget
    if total is not None and data.cost.sum() > total * (1 + BUDGET_TOL):
        return False  # over budget whatever the dates: the time-indexed path reports it
    return bool((data.latest >= data.earliest).all())


@dataclass(frozen=True)
class Segment:
    """Periods ``offset`` to ``offset + length`` of a project, with constant demand."""

    project: int
    offset: int
    length: int
    demand: np.ndarray  # (classes,) units per period


def segments(data: ProblemData) -> list[Segment]:
    """Each project's demand cut into runs of periods with the same demand (its phases)."""
    found = []
    for j in range(data.num_projects):
        dense = data.dense_demand(j)
        first = 0
        for r in range(1, len(dense) + 1):
            if r == len(dense) or not np.array_equal(dense[r], dense[first]):
                if dense[first].any():
                    found.append(Segment(j, first, r - first, dense[first]))
                first = r
    return found


def components(data: ProblemData, classes: ClassSet) -> set[ClassSet]:
    """A class set split where no group serves classes on both sides: its Hall cut is the
    sum of its parts' cuts, so the parts are the stronger (and smaller) cumulatives."""
    parent = {c: c for c in classes}

    def root(c: int) -> int:
        while parent[c] != c:
            c = parent[c]
        return c

    for g in range(data.num_groups):
        served = [c for c in classes if data.group_eligible[g, c]]
        for c in served[1:]:
            parent[root(c)] = root(served[0])
    parts: dict[int, set[int]] = {}
    for c in classes:
        parts.setdefault(root(c), set()).add(c)
    return {frozenset(p) for p in parts.values()}


def parts(data: ProblemData, sets: set[ClassSet]) -> set[ClassSet]:
    """Every set split into its ``components``."""
    return {part for classes in sets for part in components(data, classes)}


class MakespanModel:
    """The interval model with capacity as cumulatives over ``hall_sets``."""

    def __init__(
        self,
        data: ProblemData,
        hall_sets: set[ClassSet],
        pieces: list[Segment],
        best: int | None = None,
        delays: Delays | None = None,
    ):
        self.data, self.pieces = data, pieces
        self.model = cp_model.CpModel()
        self.paths = CriticalPaths(data)
        horizon = data.num_periods if best is None else best
        self.makespan = self.model.new_int_var(min(self.paths.lower_bound, horizon), horizon, "makespan")
        if self.paths.lower_bound > horizon:  # a chain of work longer than the horizon: no plan
            self.model.add_bool_or([])  # infeasible, where an empty domain made the model invalid
        self.starts = [self._start(j, horizon) for j in range(data.num_projects)]
        self.intervals = [
            self.model.new_fixed_size_interval_var(self.starts[p.project] + p.offset, p.length, f"i{k}")
            for k, p in enumerate(pieces)
        ]
        self.dependencies()
        self.finish()
        self.delayed_starts(delays or {})
        for classes in sorted(hall_sets, key=sorted):
            self.capacity(classes)
        self.same_projects_in_order()
        if not delays:  # measured on PSPLIB j30: with the delays, the cliques slow the proofs
            self.never_together(hall_sets)
        self.model.minimize(self.makespan)
        self.objective = Objective(scale=1.0, minimise=True, slack=0.0)

    def _start(self, j: int, horizon: int) -> cp_model.IntVar:
        """A start within the window, early enough to leave the project and its successors
        time before ``horizon`` (the best makespan known), late enough for predecessors."""
        lo = max(int(self.data.earliest[j]), self.paths.head[j])
        hi = min(int(self.data.latest[j]), horizon - self.paths.tail[j])
        return self.model.new_int_var(lo, max(lo, hi), f"start[{j}]") if lo <= hi else self._never(j)

    def _never(self, j: int) -> cp_model.IntVar:
        self.model.add_bool_or([])  # no start fits: the model says infeasible
        return self.model.new_constant(int(self.data.earliest[j]))

    def dependencies(self) -> None:
        """A project starts no earlier than lag periods after each predecessor finishes."""
        for j, preds in enumerate(self.data.predecessors):
            for pred, lag in preds:
                self.model.add(self.starts[j] >= self.starts[pred] + int(self.data.length[pred]) + lag)

    def finish(self) -> None:
        """The makespan is at least every project's finish (those with no successors suffice)."""
        for j in self.paths.last:
            self.model.add(self.makespan >= self.starts[j] + int(self.data.length[j]))

    def delayed_starts(self, delays: Delays) -> None:
        """Stronger precedences: the least delays between ordered projects (``delays.py``)."""
        length = self.data.length
        for (a, b), d in delays.items():
            finish = 0 if a == START else self.starts[a] + int(length[a])
            self.model.add((self.makespan if b == END else self.starts[b]) >= finish + d)

    def capacity(self, classes: ClassSet) -> None:
        """Demand of ``classes`` per period within the capacity of everyone serving any of them."""
        columns = sorted(classes)
        serving = self.data.group_eligible[:, columns].any(axis=1)
        cap = self.data.group_capacity[serving].sum(axis=0).astype(np.int64)
        tasks = [(k, int(p.demand[columns].sum())) for k, p in enumerate(self.pieces)]
        tasks = [(k, d) for k, d in tasks if d > 0]
        if not tasks or sum(d for _, d in tasks) <= cap.min():
            return  # never binding
        peak = int(cap.max())
        reserved = [(t, n, peak - int(cap[t])) for t, n in _runs(cap) if cap[t] < peak]
        unit = math.gcd(peak, *(d for _, d in tasks), *(d for _, _, d in reserved))
        intervals = [self.intervals[k] for k, _ in tasks]
        intervals += [self.model.new_fixed_size_interval_var(t, n, f"off{t}") for t, n, _ in reserved]
        demands = [d // unit for _, d in tasks] + [d // unit for _, _, d in reserved]
        self.model.add_cumulative(intervals, demands, peak // max(unit, 1))

    def never_together(self, hall_sets: set[ClassSet]) -> None:
        """Work that can never run at the same time (too much demand together, or one must
        follow the other) as no-overlap constraints: their disjunctive reasoning (edge
        finding) proves far better bounds than the cumulatives alone."""
        if not self.pieces or len(self.pieces) > MAX_PIECES_FOR_CLIQUES:
            return
        for clique in exclusive_cliques(self.data, self.pieces, hall_sets, self.paths):
            self.model.add_no_overlap([self.intervals[k] for k in clique])

    def same_projects_in_order(self) -> None:
        """Interchangeable projects (same demand, window and neighbours) start in index order."""
        for group in interchangeable(self.data):
            for a, b in itertools.pairwise(group):
                self.model.add(self.starts[a] <= self.starts[b])

    def hint(self, starts: dict[int, int]) -> None:
        self.model.clear_hints()
        for j, s in symmetric_order(self.data, starts).items():
            self.model.add_hint(self.starts[j], s)
        self.model.add_hint(self.makespan, max(s + int(self.data.length[j]) for j, s in starts.items()))

    def starts_in(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> dict[int, int]:
        return {j: int(solver.value(s)) for j, s in enumerate(self.starts)}


def exclusive_cliques(
    data: ProblemData, pieces: list[Segment], hall_sets: set[ClassSet], paths: CriticalPaths
) -> list[list[int]]:
    """Sets of segments no two of which can ever overlap, grown greedily from each segment
    (longest first), so that every segment is in one of the largest such sets found."""
    clash = np.zeros((len(pieces), len(pieces)), dtype=bool)
    for classes in hall_sets:
        columns = sorted(classes)
        serving = data.group_eligible[:, columns].any(axis=1)
        peak = int(data.group_capacity[serving].sum(axis=0).max(initial=0))
        need = np.array([int(p.demand[columns].sum()) for p in pieces])
        clash |= (need[:, None] + need[None, :] > peak) & (need[:, None] > 0) & (need[None, :] > 0)
    project = np.array([p.project for p in pieces])
    clash |= paths.ordered[np.ix_(project, project)] | (project[:, None] == project[None, :])
    np.fill_diagonal(clash, False)
    order = sorted(range(len(pieces)), key=lambda k: (-pieces[k].length, k))
    found: dict[frozenset[int], list[int]] = {}
    for seed in order:
        clique = [seed]
        for k in order:
            if clash[k, clique].all():
                clique.append(k)
        if len(clique) > 2:
            found.setdefault(frozenset(clique), clique)
    return list(found.values())


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(first period, length) of each run of equal values."""
    runs, first = [], 0
    for t in range(1, len(values) + 1):
        if t == len(values) or values[t] != values[first]:
            runs.append((first, t - first))
            first = t
    return runs


def solve_makespan(
    data: ProblemData,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    on_progress: Progress | None = None,
    deterministic: bool = False,
    relative_gap: float | None = None,
    workers: int | None = None,
) -> Schedule:
    """The shortest plan found within ``time_limit``; "optimal" only when proven."""
    budget = _Budget(time_limit, deterministic)
    greedy = solve_greedy(data)
    search = _Search(data, on_progress, budget.started)
    if greedy.status == "feasible":
        search.offer(greedy.starts)
    gap = data.scenario.policy.relative_gap if relative_gap is None else relative_gap
    rounds = _Rounds(data, search, segments(data), seed, gap, workers)
    outcome = rounds.run(_Budget(PROBE_SHARE * budget.limit, deterministic, within=budget))
    if outcome == "stopped" and budget.left() > 0.01:
        if data.num_projects >= GENETIC_FROM:
            rounds.evolve(_Budget(GENETIC_SHARE * budget.left(), deterministic, within=budget))
        rounds.learn_delays(_Budget(DELAY_SHARE * budget.left(), deterministic, within=budget))
        outcome = rounds.run(budget)
    if outcome == "infeasible":
        return _infeasible(data, budget)
    return _finish(data, search, greedy, None)


class _Rounds:
    """Solve, check every solution by max-flow, add the broken sets, solve again."""

    def __init__(
        self,
        data: ProblemData,
        search: _Search,
        pieces: list[Segment],
        seed: int,
        gap: float,
        workers: int | None,
    ):
        self.data, self.search, self.pieces = data, search, pieces
        self.seed, self.gap, self.workers = seed, gap, workers
        self.check = FlowCheck(data)
        self.sets = parts(data, initial_sets(data))
        self.delays: Delays = {}

    def evolve(self, clock: _Budget) -> None:
        """Shorter plans from the genetic search over serial schedules (``serial.py``)."""
        from solvers.cpsat.serial import SerialSchedules, evolve  # loads Numba: only when it runs

        def offer(start: list[int]) -> bool:
            starts = dict(enumerate(start))
            broken = self.check.violations(starts)
            self.sets |= parts(self.data, broken)  # for the rounds
            if broken or not keeps_windows_and_dependencies(self.data, starts):
                return False
            self.search.offer(starts)
            return True

        best = self.search.best
        first = None if best is None else [best[j] for j in range(self.data.num_projects)]
        evolve(SerialSchedules(self.data, self.sets), self.seed, clock.left, clock.spend, offer, first)
        log.info("makespan: genetic search found %s", self.search.best_value)

    def learn_delays(self, clock: _Budget) -> None:
        """Least delays between ordered projects, for the rounds that follow."""
        self.delays = least_delays(self.data, self.sets, spans(self.data), clock)
        log.info("makespan: %d least delays", len(self.delays))

    def run(self, budget: _Budget) -> str:
        """Rounds until proven, out of time, or no new sets: "infeasible", "proven" or "stopped"."""
        search = self.search
        while budget.left() > 0.01:
            best = None if search.best_value is None else int(-search.best_value)
            mm = MakespanModel(self.data, self.sets, self.pieces, best, self.delays)
            if search.best is not None:
                mm.hint(search.best)
            solver = _solver(budget, self.seed, self.gap, self.workers)
            _tune(solver.parameters, self.workers, self.data.num_projects)
            found = _Solutions(mm, self.check, search, budget)
            solver.best_bound_callback = lambda b, mm=mm: search.bound_from(mm.objective, b)
            status = solver.solve(mm.model, found)
            budget.spend(solver.deterministic_time)
            if status == cp_model.INFEASIBLE and search.best is None:
                return "infeasible"  # a relaxation with no room: neither has the portfolio
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found.consider(mm.starts_in(solver))
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE):
                search.bound_from(mm.objective, _bound(solver, status, best))
            new_sets = parts(self.data, found.violated) - self.sets
            log.info("makespan round: %s, %d new cumulatives", solver.status_name(status), len(new_sets))
            self.sets |= new_sets
            if search.best_value is not None and search.proven(search.best_value, self.gap):
                return "proven"
            if not new_sets:
                return "stopped"
        return "stopped"


def _tune(params: Any, workers: int | None, projects: int) -> None:
    """Scheduling bounds come from propagation rather than the LP (measured on PSPLIB):
    two full searches without it, one restarting often; other workers search neighbourhoods.
    From GENETIC_FROM projects up a third worker searches neighbourhoods even on two cores,
    for shorter plans; below, the full searches find the best plans themselves and prove
    faster with both cores to themselves (the eight slowest j30 proofs, two runs each: 87 s
    in all against 105 s with the third worker, 14 proven of 16 against 13)."""
    params.subsolvers.extend(["no_lp", "quick_restart_no_lp"])
    if workers is None and not params.interleave_search and projects >= GENETIC_FROM:
        params.num_workers = max(params.num_workers, 3)


def _bound(solver: cp_model.CpSolver, status: Any, best: int | None) -> float:
    """The solver's bound; with makespan capped at the best plan, "infeasible" proves it."""
    if status == cp_model.INFEASIBLE:
        assert best is not None
        return float(best)
    return solver.best_objective_bound


class _Solutions(cp_model.CpSolverSolutionCallback):
    """Checks each solution exactly: exact ones become plans, broken ones give new sets."""

    def __init__(self, mm: MakespanModel, check: FlowCheck, search: _Search, budget: _Budget):
        super().__init__()
        self.mm, self.check, self.search = mm, check, search
        self.violated: set[ClassSet] = set()
        self.deterministic = budget.deterministic
        self.min_round = MIN_ROUND_SHARE * budget.left()

    def on_solution_callback(self) -> None:
        self.consider(self.mm.starts_in(self))
        elapsed = self.deterministic_time if self.deterministic else self.wall_time
        if self.violated and elapsed >= self.min_round:
            self.stop_search()  # the model is known to be loose: tighten it and start again

    def consider(self, starts: dict[int, int]) -> None:
        broken = self.check.violations(starts)
        if broken:
            self.violated |= broken
        else:
            self.search.offer(starts)
