"""Running CP-SAT on the portfolio: lazy capacity cuts, warm start, limits, progress.

The search is a short loop. CP-SAT solves a model of start decisions with capacity as
Hall cuts (see ``hall``); every solution it reports is checked exactly by max-flow; the
class sets where a solution breaks capacity become new cuts, and the model is solved
again, warm-started from the best exact plan so far. The greedy plan is that first warm
start and also a floor: the answer is never worse than it. A final left shift moves each
project to its earliest start that still fits, so ties go to earlier starts.

Deterministic mode runs CP-SAT's workers interleaved in one thread under a
*deterministic* time budget, so the same input and seed give the same plan whatever the
machine load.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.conflicts import find_conflicts
from solvers.cpsat.hall import ClassSet, FlowCheck, initial_sets
from solvers.cpsat.lns import Cuts, build_cost, improve
from solvers.cpsat.model import PortfolioModel
from solvers.greedy import repair, schedule_objective, solve_greedy
from solvers.portfolio import Portfolio, Rate, Schedule, over_budget, period_costs, spending
from solvers.relaxation import Relaxation, demand_entries, lp_stride, sampled_starts, solve_relaxation

log = logging.getLogger(__name__)
Progress = Callable[[dict[str, float]], None]
BOUND_SHARE = 0.3  # of the time limit for the cut rounds; the rest improves the plan by LNS
MIN_ROUND_SHARE = 0.2  # of the time left: how long a round runs before new cuts may end it
# On the clock a round starts only with this many times the last model's build time left: a
# round started with 0.8 s left at M took 4.2 s to build (beside the neighbourhood search) and
# ran the solve 3.7 s past its limit.
ROUND_AFTER_BUILD = 3.0
WHOLE_MODEL_ENTRIES = 1_500_000  # above this (size L and up) the whole-portfolio model takes
# longer to build than it would have to search: neighbourhood search alone, on every core
AFTERWARDS = 4.0  # the left shift (given 0.5x at most), staff assignment and explanations (~2.8x,
# more when the plan takes more projects), in multiples of the greedy's own time: measured at L and XL
LP_SHARE = 0.1  # of the time limit at most for the LP relaxation (a bound, and the first cuts)
FIRST_LP_SHARE = 0.25  # its first solve may take this much: without it there is no bound or rounded
# plan (M takes 2.4 s, so at 30 s the 10% share left M with neither, depending on the run)
COARSE_LP_SHARE = 0.5  # a coarse LP (size L and up) is worth more: its rounded plan is most of the gain
REPAIR_SHARE = 0.5  # of the greedy's time: what one rounded plan's repair needs, with a margin
REPAIR_COST = 2e-5  # deterministic seconds per project and period for a repair (measured:
# 0.1 s at M, 1 s at L, 6 s at XL)
ROUNDING_SHARES = (0.9, 0.5, 0.1)  # how much of a project the LP takes for it to be in a rounded plan
# of the time limit for randomised roundings after those: at M (30 s), 0.3 against 0.1 gave a
# median of 1.085 times greedy against 1.072 over five seeds; at L (60 s) three seeds level or better
DRAWS_SHARE = 0.3
DRAWS_FROM = 100  # projects: below (S has 30), the search from the plain roundings does better
MAX_DRAWS = 200  # the most randomised roundings (M fits about 50 in a 30 s run)
LP_ITERATIONS = 200_000  # deterministic mode: the LP's limit in simplex iterations, not seconds


def solve_cpsat(
    data: ProblemData,
    *,
    time_limit: float = 10.0,
    seed: int = 0,
    on_progress: Progress | None = None,
    deterministic: bool = False,
    relative_gap: float | None = None,
    workers: int | None = None,
) -> Schedule:
    """The best schedule found within ``time_limit`` seconds; never below the greedy one."""
    from solvers.cpsat import makespan  # the interval model for makespan (imports this module)

    if makespan.suits(data):
        return makespan.solve_makespan(
            data,
            time_limit=time_limit,
            seed=seed,
            on_progress=on_progress,
            deterministic=deterministic,
            relative_gap=relative_gap,
            workers=workers,
        )
    budget = _Budget(time_limit, deterministic)
    greedy = solve_greedy(data)
    greedy_seconds = time.perf_counter() - budget.started
    if not deterministic:  # leave time for what follows within the limit (BENCHMARKS.md, scale)
        budget.limit = max(0.1, budget.limit - AFTERWARDS * greedy_seconds)
    bound_budget = _Budget(BOUND_SHARE * time_limit, deterministic, within=budget)
    search = _Search(data, on_progress, budget.started)
    if greedy.status == "feasible":
        search.offer(greedy.starts)
    sets, check = initial_sets(data), FlowCheck(data)
    relaxation = _relax(data, sets, budget, deterministic, labour_rate="dearest")
    if relaxation is not None:
        bound = _labour_bound(data, sets, budget, deterministic) if data.include_labour else relaxation.bound
        if bound is not None:
            search.bound_at_most(bound)
        _offer_rounded(data, search, relaxation, budget, greedy_seconds, seed)
    gap = data.scenario.policy.relative_gap if relative_gap is None else relative_gap
    # The LP's Hall sets as first cuts: the relaxed plans the rounds find are then close to
    # exact ones, and repairing them (``_Solutions.consider``) loses little.
    cuts = Cuts(data, sets if relaxation is None else sets | relaxation.sets)
    lp_selected = None if relaxation is None else relaxation.selected
    rounds = _Rounds(data, search, cuts, check, seed, gap, workers, deterministic)
    if relaxation is not None:
        rounds.lp_only = relaxation.sets - sets
    if demand_entries(data) > WHOLE_MODEL_ENTRIES and search.best is not None:
        lns_workers = workers or (1 if deterministic else max(2, os.cpu_count() or 2))
        _improve(
            data, search, cuts, budget, lp_selected, seed, deterministic=deterministic, workers=lns_workers
        )
        return _finish(data, search, greedy, None if deterministic else greedy_seconds)
    if deterministic:  # one after the other, each on deterministic time alone
        if rounds.run(bound_budget) == "infeasible":
            return _infeasible(data, budget)
        if search.best is not None and not search.proven(search.best_value or 0.0, gap):
            _improve(data, search, cuts, budget, lp_selected, seed, deterministic=True)
        return _finish(data, search, greedy, None if deterministic else greedy_seconds)
    # Otherwise side by side: the cut rounds search the whole portfolio on CP-SAT's workers
    # while neighbourhood search (one thread) improves the best plan either has found.
    stop, failed = threading.Event(), []

    def neighbourhood_search() -> None:
        try:
            _improve(data, search, cuts, budget, lp_selected, seed, deterministic=False, stop=stop)
        except BaseException as error:  # pragma: no cover - re-raised below, in the caller's thread
            failed.append(error)

    lns = threading.Thread(target=neighbourhood_search, daemon=True)
    if search.best is not None:
        lns.start()
    try:
        outcome = rounds.run(budget)
    except BaseException:
        stop.set()  # do not leave the search running behind an error
        raise
    if outcome in ("infeasible", "proven"):
        stop.set()
    if lns.is_alive():
        lns.join()
    if failed:
        raise failed[0]
    if outcome == "infeasible":
        return _infeasible(data, budget)
    return _finish(data, search, greedy, None if deterministic else greedy_seconds)


def _improve(
    data: ProblemData,
    search: _Search,
    cuts: Cuts,
    budget: _Budget,
    lp_selected: np.ndarray | None,
    seed: int,
    *,
    deterministic: bool,
    stop: threading.Event | None = None,
    workers: int = 1,
) -> None:
    """Neighbourhood search from the best plan, adopting better plans found meanwhile."""
    assert search.best is not None
    improve(
        data,
        search.best,
        seconds_left=lambda: 0.0 if stop is not None and stop.is_set() else budget.left(),
        spend=budget.spend,
        cuts=cuts,
        guide=lambda: search.guide,
        incumbent=lambda: search.best,
        lp_selected=lp_selected,
        seed=seed,
        on_better=search.offer,
        deterministic=deterministic,
        workers=workers,
    )


class _Rounds:
    """CP-SAT on the whole portfolio with the Hall cuts known so far; every solution is
    checked by max-flow, and broken cut sets start a new round warm from the best plan."""

    def __init__(
        self,
        data: ProblemData,
        search: _Search,
        cuts: Cuts,
        check: FlowCheck,
        seed: int,
        gap: float,
        workers: int | None,
        deterministic: bool,
    ):
        self.data, self.search, self.cuts, self.check = data, search, cuts, check
        self.seed, self.gap, self.workers, self.deterministic = seed, gap, workers, deterministic
        # The LP's Hall sets: every other round goes without them (a smaller model, which
        # CP-SAT searches faster); the others have them (plans closer to exact ones).
        self.lp_only: set[ClassSet] = set()

    def run(self, budget: _Budget) -> str:
        """Rounds until the time is up: "infeasible", "proven" (optimal or within the gap),
        or "stopped" (time, or no new cuts to add)."""
        search, round_number, build_seconds = self.search, 0, 0.0
        while budget.left() > 0.05:  # the greedy alone may have used the time up (large sizes)
            if not self.deterministic and budget.left() < ROUND_AFTER_BUILD * build_seconds:
                return "stopped"  # building the model again would eat the time left and more
            sets = self.cuts.snapshot()
            if round_number % 2 == 0:
                sets -= self.lp_only
            started = time.perf_counter()
            pm = PortfolioModel(self.data, sets)
            if search.best is not None:
                pm.hint(search.best)
            solver = _solver(budget, self.seed + round_number, self.gap, self.workers)
            build_seconds = time.perf_counter() - started
            round_number += 1
            found = _Solutions(pm, self.check, search, sets)
            found.min_round = MIN_ROUND_SHARE * budget.left()
            found.deterministic = self.deterministic
            solver.best_bound_callback = lambda b, pm=pm: search.bound_from(pm.objective, b)
            done = threading.Event()
            if not self.deterministic:  # on the clock only
                watch = threading.Thread(target=_stop_when_cut, args=(solver, found, done))
                watch.daemon = True
                watch.start()
            try:
                status = solver.solve(pm.model, found)
            finally:
                done.set()
            budget.spend(solver.deterministic_time + build_cost(pm.model))
            if status == cp_model.INFEASIBLE:  # a relaxation is infeasible: so is the portfolio,
                # unless a plan is known (labour at the dearest rate makes the model stricter)
                return "infeasible" if search.best is None else "stopped"
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found.consider(pm.starts_in(solver))
                search.bound_from(pm.objective, solver.best_objective_bound)
            new_sets = found.violated - sets
            log.info(
                "cp-sat round: %s, %d new cuts, %.2f s to build, %.2f s left",
                solver.status_name(status),
                len(new_sets),
                build_seconds,
                budget.left(),
            )
            self.cuts.add(new_sets)
            if search.best_value is not None and search.proven(search.best_value, self.gap):
                return "proven"
            if not new_sets:
                return "stopped"
        return "stopped"


def _stop_when_cut(solver: cp_model.CpSolver, found: _Solutions, done: threading.Event) -> None:
    """Stop a round once new cuts are waiting and it has run its minimum time, even when no
    further solution comes to stop it (``_Solutions`` stops it at the next one)."""
    started = time.perf_counter()
    while not done.wait(0.25):
        if found.violated - found.known and time.perf_counter() - started >= found.min_round:
            solver.stop_search()
            return


def _finish(data: ProblemData, search: _Search, greedy: Schedule, greedy_seconds: float | None) -> Schedule:
    """``greedy_seconds`` times the left shift; None (deterministic mode) lets it finish."""
    if search.best is None:
        return greedy  # nothing exact was found: greedy's conflicts say what stood in the way
    # The greedy already starts every project as early as it fits; anything else is shifted.
    deadline = None if greedy_seconds is None else time.perf_counter() + max(1.0, 0.5 * greedy_seconds)
    starts = search.best if search.best == greedy.starts else left_shift(data, search.best, deadline)
    # Where the model is stricter than the problem, the bound is the LP's alone (``_Search``).
    restricted = _restriction(data)
    proven = search.optimal(schedule_objective(data, starts))
    return Schedule(
        starts=starts,
        status="optimal" if proven else "feasible",
        bound=search.plan_bound(),
        notes=[restricted] if restricted else [],
    )


def _relax(
    data: ProblemData, sets: set[ClassSet], budget: _Budget, deterministic: bool, labour_rate: Rate
) -> Relaxation | None:
    """The LP relaxation, timed by the clock or, in deterministic mode, by simplex iterations."""
    if deterministic:  # a fixed amount of work: simplex iterations, and solves by the limit
        solves = max(1, round(LP_SHARE * budget.limit))  # each about a second at M
        return solve_relaxation(
            data,
            sets,
            time_limit=30 * budget.limit,
            iterations=LP_ITERATIONS,
            solves=solves,
            labour_rate=labour_rate,
        )
    stride = lp_stride(data)
    share = LP_SHARE if stride == 1 else COARSE_LP_SHARE
    return solve_relaxation(
        data,
        sets,
        time_limit=min(share * budget.limit, budget.left()),
        first_solve_limit=min(FIRST_LP_SHARE * budget.limit, budget.left()),
        stride=stride,
        labour_rate=labour_rate,
    )


def _labour_bound(
    data: ProblemData, sets: set[ClassSet], budget: _Budget, deterministic: bool
) -> float | None:
    """With labour in the budget, the plans follow an LP priced as the solvers reserve labour
    (the dearest rate), whose bound is not one; this second LP, at the cheapest rate, gives it.
    (One LP at the cheapest rate for both led the plans astray: S seed 3 5% lower.)"""
    relaxation = _relax(data, sets, budget, deterministic, labour_rate="cheapest")
    return None if relaxation is None else relaxation.bound


def _offer_rounded(
    data: ProblemData,
    search: _Search,
    relaxation: Relaxation,
    budget: _Budget,
    greedy_seconds: float,
    seed: int = 0,
) -> None:
    """Each rounded plan while there is time (on the clock, a repair takes about a third of
    the greedy's time: 6 s at XL), then, from ``DRAWS_FROM`` projects, randomised ones."""
    repair_seconds = 0.0  # on the clock: how long the last repair took
    for share in ROUNDING_SHARES:
        if not budget.deterministic and budget.left() < REPAIR_SHARE * greedy_seconds:
            return
        budget.spend(_repair_cost(data))  # counts when deterministic
        started = time.perf_counter()
        plan = rounded_plan(data, relaxation, share)
        repair_seconds = time.perf_counter() - started
        if plan is not None:
            search.offer(plan)
    if data.num_projects >= DRAWS_FROM:
        _offer_draws(data, search, relaxation, budget, greedy_seconds, seed, repair_seconds)


def _offer_draws(
    data: ProblemData,
    search: _Search,
    relaxation: Relaxation,
    budget: _Budget,
    greedy_seconds: float,
    seed: int,
    repair_seconds: float,
) -> None:
    """Randomised roundings for ``DRAWS_SHARE`` of the time limit: one rounding is a lottery
    over the LP's vertex, and the best of a few draws is often well above it (M seed 1: 1.092
    times greedy in 12 draws, against 1.044). At S the draws' plans lead the search into
    worse basins (seed 5: 6.15 M against 6.33 M at 10 s, two runs each), so they start at M.
    On the clock a draw starts only if one more repair (``repair_seconds``, the last one's)
    fits in the share."""
    rng = np.random.default_rng(seed)
    if budget.deterministic:  # as many draws as their charged cost fits in the share
        for _ in range(min(MAX_DRAWS, int(DRAWS_SHARE * budget.limit / _repair_cost(data)))):
            budget.spend(_repair_cost(data))
            _offer_draw(data, search, relaxation, rng)
        return
    stop_at = time.perf_counter() + DRAWS_SHARE * budget.limit
    for _ in range(MAX_DRAWS):
        started = time.perf_counter()
        if started + repair_seconds > stop_at or budget.left() < REPAIR_SHARE * greedy_seconds:
            return
        _offer_draw(data, search, relaxation, rng)
        repair_seconds = time.perf_counter() - started


def _offer_draw(data: ProblemData, search: _Search, relaxation: Relaxation, rng: np.random.Generator) -> None:
    """One randomised rounding of the LP, repaired into an exact plan and offered."""
    plan = repair(data, sampled_starts(relaxation, rng.random(data.num_projects)))
    if plan is not None:
        search.offer(plan)


def _repair_cost(data: ProblemData) -> float:
    """What a repair is charged in deterministic seconds."""
    return REPAIR_COST * data.num_projects * data.num_periods


def rounded_plan(data: ProblemData, relaxation: Relaxation, share: float) -> dict[int, int] | None:
    """The LP's plan rounded: the projects it takes at least ``share`` of, each at the start it
    takes most of, repaired into an exact plan (``greedy.repair``). Measured at M: 2 to 16%
    above the greedy plan within the LP's seconds, where the search needs 15 s to improve it."""
    taken = np.flatnonzero(relaxation.selected >= share)
    return repair(data, {int(j): int(relaxation.likeliest[j]) for j in taken})


def _infeasible(data: ProblemData, budget: _Budget) -> Schedule:
    conflicts = find_conflicts(data, time_limit=max(2.0, budget.limit / 4))
    restricted = _restriction(data)
    if restricted:  # the model is stricter than the problem: its "infeasible" proves nothing
        conflicts = [{**c, "text": f"{c['text']} ({restricted})"} for c in conflicts]
        return Schedule(starts={}, status="unknown", conflicts=conflicts)
    return Schedule(starts={}, status="infeasible", conflicts=conflicts)


def _restriction(data: ProblemData) -> str | None:
    """Why the model is stricter than the problem, if it is."""
    if data.include_labour:
        return "labour reserved at the dearest rate of anyone qualified: a cheaper assignment may fit"
    return None


class _Budget:
    """Time left: wall-clock, or CP-SAT's deterministic time in deterministic mode."""

    def __init__(self, limit: float, deterministic: bool, within: _Budget | None = None):
        self.limit, self.deterministic, self.within = max(limit, 0.1), deterministic, within
        self.started = time.perf_counter()
        self.used = 0.0

    def spend(self, deterministic_time: float) -> None:
        self.used += deterministic_time
        if self.within is not None:
            self.within.spend(deterministic_time)

    def left(self) -> float:
        own = self.limit - (self.used if self.deterministic else time.perf_counter() - self.started)
        return own if self.within is None else min(own, self.within.left())


def _solver(budget: _Budget, seed: int, gap: float, workers: int | None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = seed % 2**31  # 32-bit in CP-SAT; the cut rounds add their number to it
    p.relative_gap_limit = gap
    left = max(budget.left(), 0.05)
    if budget.deterministic:
        p.interleave_search = True
        p.num_workers = workers or 1
        p.max_deterministic_time = left
        p.max_time_in_seconds = 30 * budget.limit  # a safety net only
    else:
        p.num_workers = workers or max(2, os.cpu_count() or 2)
        p.max_time_in_seconds = left
    return solver


class _Search:
    """The best exact plan so far and the best proven bound, reported as they improve."""

    def __init__(self, data: ProblemData, on_progress: Progress | None, started: float):
        self.data, self.on_progress, self.started = data, on_progress, started
        self.minimise = data.objective == "makespan"
        self.best: dict[int, int] | None = None
        self.best_value: float | None = None  # larger is better (makespan negated)
        self.bound: float | None = None  # in the same orientation, loosened for rounding
        self.guide: dict[int, int] | None = None  # the best plan seen that breaks capacity
        self.guide_value: float | None = None
        self.lock = threading.RLock()  # the cut rounds and neighbourhood search share this
        self.costs = period_costs(data) if data.scenario.policy.budget is not None else None
        # Where the model is stricter than the problem (labour at the dearest rate), its bounds
        # bound only its own plans: they end the search (nothing better is in the model), but
        # the bound reported, and "optimal", come from the LP priced to relax the problem.
        self.restricted = _restriction(data) is not None
        self.model_bound: float | None = None  # the tighter of the two, for the search to stop

    def offer(self, starts: dict[int, int]) -> bool:
        """Keep ``starts`` if better; False if refused (a model's bug must not become a plan:
        windows, dependencies and budgets are checked again here, capacity by max-flow)."""
        if not keeps_windows_and_dependencies(self.data, starts):
            log.error("a plan that breaks a window or a dependency was offered and refused")
            return False
        if self.costs is not None and over_budget(self.data, spending(self.data, starts, self.costs)) > 0:
            # Expected now and then: the model rounds costs down (``constraints.money_scale``)
            log.debug("a plan over budget was offered and refused")
            return False
        value = schedule_objective(self.data, starts)
        with self.lock:
            if self.best_value is None or value > self.best_value + 1e-9:
                self.best, self.best_value = dict(starts), value
                self._report()
        return True

    def guide_with(self, starts: dict[int, int]) -> None:
        """Remember the most valuable relaxed solution: where it differs from the best
        exact plan is where neighbourhood search looks (as RINS does in MIP solvers)."""
        value = schedule_objective(self.data, starts)
        with self.lock:
            if self.guide_value is None or value > self.guide_value:
                self.guide, self.guide_value = dict(starts), value

    def bound_at_most(self, plan_bound: float, of_problem: bool = True) -> None:
        """A bound in plan units: on the problem (the LP relaxation's), or ``of_problem``
        False, on the model's plans only (CP-SAT's, where the model is a restriction)."""
        oriented = -plan_bound if self.minimise else plan_bound
        with self.lock:
            if self.model_bound is None or oriented < self.model_bound:
                self.model_bound = oriented
            if of_problem and (self.bound is None or oriented < self.bound):
                self.bound = oriented
                self._report()

    def bound_from(self, objective: object, solver_bound: float) -> None:
        from solvers.cpsat.objective import Objective

        assert isinstance(objective, Objective)
        plan_bound = objective.to_plan(solver_bound)
        self.bound_at_most(
            plan_bound - objective.slack if objective.minimise else plan_bound + objective.slack,
            of_problem=not self.restricted,
        )

    def proven(self, value: float, gap: float) -> bool:
        """Whether nothing in the model beats ``value`` by more than ``gap``: the search may stop."""
        return self._within(self.model_bound, value, gap)

    def optimal(self, value: float) -> bool:
        """Whether nothing in the problem beats ``value``."""
        return self._within(self.bound, value, 0.0)

    def _within(self, bound: float | None, value: float, gap: float) -> bool:
        if bound is None:
            return False
        return bound - value <= max(gap * max(abs(bound), abs(value)), 1e-6 + _rounding(self.data))

    def plan_bound(self) -> float | None:
        return None if self.bound is None else (-self.bound if self.minimise else self.bound)

    def _report(self) -> None:
        if self.on_progress is None:
            return
        sign = -1 if self.minimise else 1
        incumbent = float("nan") if self.best_value is None else sign * self.best_value
        bound = float("nan") if self.bound is None else sign * self.bound
        gap = float("nan")
        if self.best_value is not None and self.bound is not None:
            gap = max(self.bound - self.best_value, 0.0) / max(abs(self.bound), abs(self.best_value), 1e-9)
        self.on_progress(
            {
                "incumbent": incumbent,
                "bound": bound,
                "gap": gap,
                "elapsed": time.perf_counter() - self.started,
            }
        )


def _rounding(data: ProblemData) -> float:
    """How far rounding the objective to CP-SAT integers can move it (see ``objective``)."""
    return 0.0 if data.objective == "makespan" else data.num_projects * 0.01


class _Solutions(cp_model.CpSolverSolutionCallback):
    """Checks each CP-SAT solution exactly; keeps exact ones, collects broken cut sets."""

    def __init__(self, pm: PortfolioModel, check: FlowCheck, search: _Search, known: set[ClassSet]):
        super().__init__()
        self.pm, self.check, self.search, self.known = pm, check, search, known
        self.violated: set[ClassSet] = set()
        self.last_broken = False
        self.min_round = 0.0  # seconds a round runs before new cuts may cut it short
        self.deterministic = False  # measure rounds in CP-SAT's deterministic time, not the clock

    def on_solution_callback(self) -> None:
        self.consider(self.pm.starts_in(self))
        elapsed = self.deterministic_time if self.deterministic else self.wall_time
        if self.violated - self.known and elapsed >= self.min_round:
            self.stop_search()  # cut it off now rather than search a model known to be loose

    def consider(self, starts: dict[int, int]) -> None:
        broken = self.check.violations(starts)
        self.last_broken = bool(broken)
        if broken:
            self.violated |= broken
            self.search.guide_with(starts)
            # Often an exact plan is close by: the relaxed search's plans are worth repairing.
            repaired = repair(self.pm.data, starts)
            if repaired is not None and not self.check.violations(repaired):
                self.search.offer(repaired)
        else:
            self.search.offer(starts)


def keeps_windows_and_dependencies(data: ProblemData, starts: dict[int, int]) -> bool:
    """Every start within its window and the horizon, with each predecessor in the plan and
    finished (plus lag) before it starts. Capacity is checked by max-flow elsewhere."""
    for j, s in starts.items():
        if not data.earliest[j] <= s <= data.latest[j] or s + data.length[j] > data.num_periods:
            return False
        for pred, lag in data.predecessors[j]:
            if pred not in starts or s < starts[pred] + data.length[pred] + lag:
                return False
    return True


def left_shift(data: ProblemData, starts: dict[int, int], deadline: float | None = None) -> dict[int, int]:
    """Move each project to its earliest start that still fits, keeping everything else.

    Never worse for any objective (earlier starts lose less to delay and finish sooner),
    and it settles ties on earlier starts. Past ``deadline`` the rest stay where they are.
    """
    portfolio = Portfolio.of(data, starts)
    for j in sorted(starts, key=lambda k: (starts[k], k)):
        if data.fixed[j] or (deadline is not None and time.perf_counter() > deadline):
            continue
        current = portfolio.starts[j]
        portfolio.remove(j)
        first = portfolio.earliest_start(j)
        assert first is not None  # its predecessors are all still placed
        for s in range(first, current + 1):
            flows = (
                portfolio.capacity_flows(j, s) if portfolio.budget_short(j, s) == 0 or s == current else None
            )
            if flows is not None:
                portfolio.place(j, s, flows)
                break
        else:  # pragma: no cover - the current start always fits again
            raise AssertionError("left shift lost a project")
    return dict(portfolio.starts)
