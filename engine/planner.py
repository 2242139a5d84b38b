"""``solve()``: the one entry point. The CLI and the API call only this."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.io import problems_from, read_document
from engine.plan import Plan
from engine.problem import ProblemData, build
from engine.results import make_plan
from engine.scenario import Policy, Scenario
from engine.validation import parse_scenario
from solvers.assignment import assign
from solvers.cpsat import solve_cpsat
from solvers.greedy import solve_greedy
from solvers.portfolio import Schedule

log = logging.getLogger(__name__)


SOLVERS: dict[str, Callable[..., Schedule]] = {
    "cp-sat": solve_cpsat,
    "greedy": lambda data, **_: solve_greedy(data),
}
ProgressCallback = Callable[[dict[str, float]], None]


def solve(
    scenario: Scenario | dict[str, Any] | str | Path,
    solver: str = "cp-sat",
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    on_progress: ProgressCallback | None = None,
    deterministic: bool = False,
    relative_gap: float | None = None,
) -> Plan:
    """Plan a portfolio.

    Parameters
    ----------
    scenario
        A :class:`Scenario`, a scenario document (dict), or the path of a JSON/YAML file.
    solver
        ``"cp-sat"`` (the optimiser, default) or ``"greedy"`` (the ranking baseline).
    time_limit
        Seconds; defaults to the scenario's ``policy.time_limit_s``.
    seed
        Random seed; defaults to ``policy.seed``.
    on_progress
        Called with ``{"incumbent", "bound", "gap", "elapsed"}`` as the solver improves.
    deterministic
        Same input and seed give the same plan, whatever the machine load (CP-SAT's
        workers interleaved in one thread under a deterministic time limit).
    relative_gap
        Stop once proven within this relative gap (default ``policy.relative_gap``).

    Returns
    -------
    Plan
        Always a plan: ``infeasible`` (with conflicts) when the mandatory work cannot fit.
        Raises :class:`~engine.errors.ScenarioError` only for an invalid scenario.
    """
    started = time.perf_counter()
    scenario = _as_scenario(scenario)
    if solver not in SOLVERS:
        from engine.errors import Problem, ScenarioError

        raise ScenarioError(
            [Problem("solver", f"unknown solver '{solver}' (choose from {', '.join(SOLVERS)})")]
        )
    policy = _with_options(scenario.policy, time_limit_s=time_limit, seed=seed, relative_gap=relative_gap)
    data = build(scenario)
    schedule = SOLVERS[solver](
        data,
        time_limit=policy.time_limit_s,
        seed=policy.seed,
        on_progress=on_progress,
        deterministic=deterministic,
        relative_gap=policy.relative_gap,
    )
    return plan_from(data, schedule, started=started, solver=solver)


OPTION_NAMES = {"time_limit_s": "time_limit"}  # the policy's field -> the caller's option


def _with_options(policy: Policy, **options: float | None) -> Policy:
    """The policy with the caller's options in place of its own, checked as the scenario's
    own are (a seed of 2**31 or an infinite time limit would crash the solver)."""
    given = {name: value for name, value in options.items() if value is not None}
    if not given:
        return policy
    try:
        return Policy.model_validate({**policy.model_dump(), **given})
    except ValidationError as error:
        from engine.errors import Problem, ScenarioError

        problems = [Problem(OPTION_NAMES.get(p.path, p.path), p.message) for p in problems_from(error)]
        raise ScenarioError(problems) from None


def plan_from(data: ProblemData, schedule: Schedule, *, started: float, solver: str) -> Plan:
    """Assign staff to a schedule and describe it as a plan."""
    rows = assign(data, schedule.starts) if schedule.status in ("optimal", "feasible") else []
    return make_plan(data, schedule, rows, seconds=time.perf_counter() - started, solver=solver)


def _as_scenario(scenario: Scenario | dict[str, Any] | str | Path) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str | Path):
        return parse_scenario(read_document(scenario), source=str(scenario))
    return parse_scenario(scenario)
