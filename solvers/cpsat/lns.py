"""Large-neighbourhood search: free a few projects, fix the rest, re-optimise exactly.

Each step picks a neighbourhood around the best plan (a random handful of projects, or
every project that could run in a window of periods), keeps all other projects where
they are, and solves the small problem that is left with the exact flow model: the freed
projects' starts (or exclusion) against the capacity and budget the fixed ones leave.
Every improvement is therefore a valid plan. The neighbourhood grows while steps are
solved quickly and shrinks when they time out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.constraints import Constraints
from solvers.cpsat.hall import ClassSet, FlowCheck, SetCapacity, initial_sets
from solvers.cpsat.objective import set_objective
from solvers.cpsat.variables import Variables
from solvers.greedy import schedule_objective
from solvers.portfolio import Portfolio

FIRST_STEP_SECONDS = 1.0
MOST_OF_WHAT_IS_LEFT = 0.25  # a single step never takes more of the remaining time than this
# Deterministic time charged per constraint of a model built in Python, beyond CP-SAT's own
# count: building and checking a step's model is most of its wall time at L (measured: 0.11 ms
# per constraint, against 3% of the wall time counted by CP-SAT), so deterministic budgets
# would otherwise run many times over on the clock.
MODEL_ROW_COST = 1e-4
# And at least this much per model: a CP-SAT call on the smallest model takes milliseconds on
# the clock but counts next to nothing, so a step that keeps finding a plan the budget check
# refuses (one 1e-6 over a yearly cap, found by fuzzing) looped for minutes in deterministic mode.
MIN_MODEL_COST = 0.01


class Cuts:
    """Hall sets known so far, shared by every step (and by the cut rounds running beside
    the search: hence the lock), and the exact check that finds more."""

    def __init__(self, data: ProblemData, sets: set[ClassSet]):
        self._sets = set(sets)
        self._lock = threading.Lock()
        self.check = FlowCheck(data)
        self.capacity = SetCapacity(data)

    def snapshot(self) -> set[ClassSet]:
        with self._lock:
            return set(self._sets)

    def add(self, sets: set[ClassSet]) -> None:
        with self._lock:
            self._sets |= sets


def improve(
    data: ProblemData,
    starts: dict[int, int],
    *,
    seconds_left: Callable[[], float],
    spend: Callable[[float], None] = lambda _: None,
    cuts: Cuts | None = None,
    guide: Callable[[], dict[int, int] | None] = lambda: None,
    incumbent: Callable[[], dict[int, int] | None] = lambda: None,
    lp_selected: np.ndarray | None = None,
    seed: int = 0,
    on_better: Callable[[dict[int, int]], bool] | None = None,
    deterministic: bool = False,
    workers: int = 1,
) -> dict[int, int]:
    """The best plan found by neighbourhood steps until ``seconds_left()`` runs out
    (``spend`` is told each step's deterministic time). ``incumbent()`` is the best plan
    found elsewhere meanwhile, adopted when better; ``guide()`` a relaxed plan to steer by."""
    rng = np.random.default_rng(seed)
    cuts = cuts or Cuts(data, initial_sets(data))
    best, best_value = dict(starts), schedule_objective(data, starts)
    size, step = min(8, data.num_projects), FIRST_STEP_SECONDS
    while seconds_left() > 0.1 and data.num_projects:
        elsewhere = incumbent()
        if elsewhere is not None and schedule_objective(data, elsewhere) > best_value + 1e-9:
            best, best_value = dict(elsewhere), schedule_objective(data, elsewhere)
        free = _neighbourhood(data, best, rng, size, guide(), lp_selected)
        limit = min(step, max(0.2, MOST_OF_WHAT_IS_LEFT * seconds_left()), seconds_left())
        found, complete, used = _step(data, best, free, limit, cuts, seed, deterministic, workers)
        spend(used)
        if found is not None:
            value = schedule_objective(data, found)
            if value > best_value + 1e-9 and (on_better is None or on_better(found)):  # not if refused
                best, best_value = found, value
        # Neighbourhoods grow while steps are proven quickly; steps get longer when they are not.
        if complete:
            size = min(data.num_projects, size + 1)
        else:
            size, step = max(3, size - 1), step * 1.5
    return best


def _neighbourhood(
    data: ProblemData,
    best: dict[int, int],
    rng: np.random.Generator,
    size: int,
    guide: dict[int, int] | None,
    lp_selected: np.ndarray | None = None,
) -> set[int]:
    """One of four kinds, at random: a random handful of projects; those that could run in a
    random window of periods; a project that is out with the selected projects competing
    with it for the same skills while it could run (so it can swap in); or projects where a
    guide (a more valuable plan that breaks capacity) differs from the best plan."""
    movable = [j for j in range(data.num_projects) if not data.fixed[j]]
    if not movable:
        return set()
    kind = rng.integers(0, 5)
    if kind == 4 and lp_selected is not None:
        return _lp_disagrees(data, best, rng, size, lp_selected, movable)
    if kind == 3 and guide is not None:
        differ = [j for j in movable if best.get(j) != guide.get(j)]
        rng.shuffle(differ)
        if differ:
            return set(differ[:size])
    if kind == 0:
        return {int(j) for j in rng.choice(movable, size=min(size, len(movable)), replace=False)}
    if kind == 1:
        width = max(2, data.num_periods // 6)
        t0 = int(rng.integers(0, max(1, data.num_periods - width)))
        near = [j for j in movable if data.earliest[j] <= t0 + width and data.latest[j] + data.length[j] > t0]
        rng.shuffle(near)
        return set(near[:size])
    out = [j for j in movable if j not in best]
    if not out:
        return {int(j) for j in rng.choice(movable, size=min(size, len(movable)), replace=False)}
    j = int(rng.choice(out))
    return {j, *_rivals(data, best, j, rng, size - 1)}


def _lp_disagrees(
    data: ProblemData,
    best: dict[int, int],
    rng: np.random.Generator,
    size: int,
    lp_selected: np.ndarray,
    movable: list[int],
) -> set[int]:
    """Projects the LP relaxation would take that the plan leaves out (or the reverse),
    with the selected projects competing with those it would add (so they can swap)."""
    differ = [j for j in movable if abs(lp_selected[j] - (j in best)) >= 0.5]
    rng.shuffle(differ)
    free = set(differ[: max(1, size // 2)])
    for j in [j for j in free if j not in best]:
        free |= set(_rivals(data, best, j, rng, size))
    return set(list(free)[: 2 * size])


def _rivals(
    data: ProblemData, best: dict[int, int], j: int, rng: np.random.Generator, count: int
) -> list[int]:
    """Selected projects that use a class j needs at a time j could run."""
    needs = set(data.project_classes[j].tolist())
    first, last = int(data.earliest[j]), int(data.latest[j] + data.length[j])
    rivals = [
        k
        for k, s in best.items()
        if not data.fixed[k]
        and s < last
        and s + data.length[k] > first
        and needs & set(data.project_classes[k].tolist())
    ]
    rng.shuffle(rivals)
    return rivals[:count]


def _step(
    data: ProblemData,
    best: dict[int, int],
    free: set[int],
    seconds: float,
    cuts: Cuts,
    seed: int,
    deterministic: bool,
    workers: int = 1,
) -> tuple[dict[int, int] | None, bool, float]:
    """Re-optimise ``free`` with everything else fixed: (plan or None, solved to
    optimality, deterministic time used).

    Capacity is written as Hall cuts (see ``hall``) and each answer is checked by
    max-flow; broken sets become cuts (shared by later steps) and the step goes again.
    """
    fixed = {j: s for j, s in best.items() if j not in free}
    allowed, must = _options(data, fixed, free)
    if allowed is None:
        return None, True, 0.0
    base, used, deadline = Portfolio.of(data, fixed), 0.0, time.perf_counter() + seconds
    sets = cuts.snapshot()
    while True:
        model, v = _model(data, allowed, must, base, sets, best, cuts.capacity)
        solver = _solver(
            seconds - used if deterministic else deadline - time.perf_counter(), seed, deterministic, workers
        )
        status = solver.solve(model)
        used += solver.deterministic_time + build_cost(model)  # counts when deterministic
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, status == cp_model.INFEASIBLE, used
        chosen = {
            j: s for j, options in enumerate(v.starts) for s, x in options.items() if solver.boolean_value(x)
        }
        broken = cuts.check.violations(fixed | chosen) - sets
        if not broken:
            return fixed | chosen, status == cp_model.OPTIMAL, used
        sets |= broken
        cuts.add(broken)
        left = seconds - used if deterministic else deadline - time.perf_counter()
        if left <= 0.02:
            return None, False, used


def build_cost(model: cp_model.CpModel) -> float:
    """Deterministic time for building ``model`` and checking its answer (``MODEL_ROW_COST``,
    at least ``MIN_MODEL_COST``)."""
    return max(MIN_MODEL_COST, MODEL_ROW_COST * len(model.proto.constraints))


def _model(
    data: ProblemData,
    allowed: dict[int, list[int]],
    must: set[int],
    base: Portfolio,
    sets: set[ClassSet],
    hint: dict[int, int],
    capacity: SetCapacity | None = None,
) -> tuple[cp_model.CpModel, Variables]:
    model = cp_model.CpModel()
    v = Variables(model, data, allowed=allowed)
    rules = Constraints(model, data, v, base=base)
    rules.at_most_one_start()
    rules.mandatory(sorted(must))
    rules.dependencies()
    rules.hall(sets, capacity)
    rules.budget()
    set_objective(model, data, v)
    for j, options in enumerate(v.starts):
        for s, x in options.items():
            model.add_hint(x, hint.get(j) == s)
    return model, v


def _solver(seconds: float, seed: int, deterministic: bool, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed % 2**31  # 32-bit in CP-SAT
    if deterministic:
        solver.parameters.max_deterministic_time = max(seconds, 0.01)
    else:
        solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    return solver


def _options(
    data: ProblemData, fixed: dict[int, int], free: set[int]
) -> tuple[dict[int, list[int]] | None, set[int]]:
    """Starts each freed project may take given the fixed ones, and which freed projects
    must stay in (mandatory, or needed by a fixed successor)."""
    must = {j for j in free if data.mandatory[j]}
    first = {j: int(data.earliest[j]) for j in free}
    last = {j: int(data.latest[j]) for j in free}
    for j in free:
        for pred, lag in data.predecessors[j]:
            if pred in free:
                continue
            if pred not in fixed:
                last[j] = -1  # its predecessor is out, so it is out
            else:
                first[j] = max(first[j], fixed[pred] + int(data.length[pred]) + lag)
    for k, s in fixed.items():
        for pred, lag in data.predecessors[k]:
            if pred in free:
                must.add(pred)
                last[pred] = min(last[pred], s - lag - int(data.length[pred]))
    allowed = {j: list(range(first[j], last[j] + 1)) for j in free}
    if any(not allowed[j] for j in must):
        return None, must
    return allowed, must
