"""What a solve job runs: a task for the shared executor (``engine.executor``).

It runs in a worker process (local, or on a Dask worker) and never touches the database,
so the server stays the only writer and a crashed solve cannot leave half a plan behind.
"""

from __future__ import annotations

import logging
from typing import Any

from engine import ScenarioError, solve
from engine.executor import Report, TaskFailed

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
