"""What a solve job runs: a task for the shared executor (``engine.executor``).

It runs in a worker process (local, or on a Dask worker) and never touches the database,
so the server stays the only writer and a crashed solve cannot leave half a plan behind.
"""

from __future__ import annotations

import logging
from typing import Any

from engine import ScenarioError, parse_scenario, solve
from engine.executor import Report, TaskFailed
from engine.plan import Plan
from engine.recommend import recommend
from engine.whatif import displaced_if_forced

log = logging.getLogger(__name__)


def solve_job(job: dict[str, Any], report: Report) -> dict[str, Any]:
    """Solve ``job["document"]`` with ``job["params"]``, reporting progress; the plan as JSON data."""
    params = job["params"]
    try:
        plan = solve(
            job["document"],
            params["solver"],
            time_limit=params["time_limit_s"],
            seed=params.get("seed"),
            on_progress=report,
            deterministic=params.get("deterministic", False),
            relative_gap=params.get("relative_gap"),
        )
    except ScenarioError as exc:
        raise TaskFailed(f"the scenario cannot be solved: {exc}") from exc
    except Exception as exc:  # the job fails with its reason; the server carries on
        log.exception("solve failed")
        raise TaskFailed(f"the solver failed: {type(exc).__name__}: {exc}") from exc
    return plan.model_dump(mode="json")


def recommend_job(job: dict[str, Any], report: Report) -> dict[str, Any]:
    """Where one more FTE adds most value, and what forcing each asked-for project in displaces."""
    try:
        return recommendations(job["document"], job["plan"], job["params"])
    except ScenarioError as exc:
        raise TaskFailed(f"the recommendations cannot be made: {exc}") from exc
    except Exception as exc:  # the job fails with its reason; the server carries on
        log.exception("recommendations failed")
        raise TaskFailed(f"the recommendations failed: {type(exc).__name__}: {exc}") from exc


def recommendations(
    document: dict[str, Any], plan_document: dict[str, Any], params: dict[str, Any]
) -> dict[str, Any]:
    """The recommendations job's result (JSON): ranked recommendations and displacements."""
    scenario = parse_scenario(document)
    plan = Plan.model_validate(plan_document)
    limit, projects = float(params["time_limit_s"]), list(params.get("projects") or [])
    found = recommend(
        scenario,
        plan,
        fte=params.get("fte", 1.0),
        top=params.get("top", 5),
        time_limit=limit,
        deterministic=params.get("deterministic", False),
    )
    each = limit / max(1, len(projects))
    displaced = {pid: displaced_if_forced(scenario, plan, pid, each).__dict__ for pid in projects}
    return {"recommendations": [r.as_dict() for r in found], "displacements": displaced}
