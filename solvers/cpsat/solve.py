"""Running CP-SAT on the portfolio model: warm start, limits, progress, determinism.

The greedy plan is both the warm start and a floor: the answer is never worse than it.
After the solve, a left shift moves each project to its earliest start that still fits,
so ties go to earlier starts without weighing the objective down with tie-break terms.

Deterministic mode runs CP-SAT's portfolio of workers interleaved in one thread under a
*deterministic* time limit, so the same input and seed give the same plan on any machine
load.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.conflicts import find_conflicts
from solvers.cpsat.model import PortfolioModel
from solvers.greedy import schedule_objective, solve_greedy
from solvers.portfolio import Portfolio, Schedule

log = logging.getLogger(__name__)
Progress = Callable[[dict[str, float]], None]


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
    """The best schedule CP-SAT finds within ``time_limit`` seconds, never below greedy."""
    started = time.perf_counter()
    greedy = solve_greedy(data)
    pm = PortfolioModel(data)
    if greedy.status == "feasible":
        pm.hint(greedy.starts)
    solver = _solver(
        data, time_limit - (time.perf_counter() - started), seed, deterministic, relative_gap, workers
    )
    reporter = _Reporter(pm, started, on_progress)
    solver.best_bound_callback = reporter.on_bound
    status = solver.solve(pm.model, reporter)
    log.info("cp-sat: %s in %.2f s", solver.status_name(status), solver.wall_time)
    if status == cp_model.INFEASIBLE:
        return Schedule(
            starts={},
            status="infeasible",
            conflicts=find_conflicts(data, time_limit=max(2.0, time_limit / 4)),
        )
    if status == cp_model.MODEL_INVALID:  # pragma: no cover - a bug in the model, not the input
        raise RuntimeError(f"invalid CP-SAT model: {pm.model.validate()}")
    bound = _bound(pm, solver, status)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        starts = left_shift(data, pm.starts_in(solver))
        if greedy.status != "feasible" or schedule_objective(data, starts) >= schedule_objective(
            data, greedy.starts
        ):
            return Schedule(
                starts=starts, status="optimal" if status == cp_model.OPTIMAL else "feasible", bound=bound
            )
    if greedy.status == "feasible":  # CP-SAT found nothing better in time
        return Schedule(starts=greedy.starts, status="feasible", bound=bound, notes=["greedy plan kept"])
    return greedy  # no plan found by either: greedy's conflicts say what stood in the way


def _solver(
    data: ProblemData,
    time_limit: float,
    seed: int,
    deterministic: bool,
    gap: float | None,
    workers: int | None,
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = seed
    p.relative_gap_limit = data.scenario.policy.relative_gap if gap is None else gap
    if deterministic:
        p.interleave_search = True
        p.num_workers = workers or 4
        p.max_deterministic_time = max(time_limit, 0.1)
        p.max_time_in_seconds = 30 * max(time_limit, 1.0)  # a safety net only
    else:
        p.num_workers = workers or max(2, os.cpu_count() or 2)
        p.max_time_in_seconds = max(time_limit, 0.1)
    return solver


def _bound(pm: PortfolioModel, solver: cp_model.CpSolver, status: cp_model.CpSolverStatus) -> float | None:
    """The proven bound in plan units (loosened by the objective's rounding)."""
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    obj = pm.objective
    bound = obj.to_plan(solver.best_objective_bound)
    return bound - obj.slack if obj.minimise else bound + obj.slack


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Forwards incumbent, bound, gap and elapsed time to the progress callback."""

    def __init__(self, pm: PortfolioModel, started: float, on_progress: Progress | None):
        super().__init__()
        self.pm, self.started, self.on_progress = pm, started, on_progress
        self.incumbent: float | None = None
        self.bound: float | None = None

    def on_solution_callback(self) -> None:
        self.incumbent = self.pm.objective.to_plan(self.objective_value)
        self.bound = self.pm.objective.to_plan(self.best_objective_bound)
        self._report()

    def on_bound(self, bound: float) -> None:
        self.bound = self.pm.objective.to_plan(bound)
        self._report()

    def _report(self) -> None:
        if self.on_progress is None:
            return
        gap = float("nan")
        if self.incumbent is not None and self.bound is not None:
            gap = abs(self.bound - self.incumbent) / max(abs(self.bound), abs(self.incumbent), 1e-9)
        self.on_progress(
            {
                "incumbent": float("nan") if self.incumbent is None else self.incumbent,
                "bound": float("nan") if self.bound is None else self.bound,
                "gap": gap,
                "elapsed": time.perf_counter() - self.started,
            }
        )


def left_shift(data: ProblemData, starts: dict[int, int]) -> dict[int, int]:
    """Move each project to its earliest start that still fits, keeping everything else.

    Never worse for any objective (earlier starts lose less to delay and finish sooner),
    and it settles ties on earlier starts.
    """
    portfolio = Portfolio.of(data, starts)
    for j in sorted(starts, key=lambda k: (starts[k], k)):
        if data.fixed[j]:
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
