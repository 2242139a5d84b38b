"""What runs inside a solver process: solve one scenario, report progress and the plan.

The process talks to the server through one pipe and never touches the database, so the
server stays the only writer and a crashed solve cannot leave half a plan behind.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from engine import ScenarioError, parse_scenario, solve
from engine.plan import Plan
from engine.recommend import recommend
from engine.whatif import displaced_if_forced

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.25


def run_job(job: dict[str, Any], conn: Connection) -> None:
    """Run one job in this process: a solve, or recommendations for a plan."""
    if job.get("kind") == "recommend":
        run_recommend(job, conn)
    else:
        run_solve(job, conn)


def run_recommend(job: dict[str, Any], conn: Connection) -> None:
    """Rank where one more FTE adds most value; say what forcing each asked-for project in displaces."""
    _exit_with_parent()
    params = job["params"]
    try:
        conn.send(("done", recommendations(job["document"], job["plan"], params)))
    except ScenarioError as exc:
        conn.send(("failed", f"the recommendations cannot be made: {exc}"))
    except Exception as exc:  # the job fails with its reason; the server carries on
        log.exception("recommendations failed")
        conn.send(("failed", f"the recommendations failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


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


def run_solve(job: dict[str, Any], conn: Connection) -> None:
    """Solve ``job["document"]`` with ``job["params"]``; send ("progress" | "done" | "failed", data)."""
    _exit_with_parent()
    params = job["params"]
    last = 0.0

    def on_progress(event: dict[str, float]) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            conn.send(("progress", dict(event)))

    try:
        plan = solve(
            job["document"],
            params["solver"],
            time_limit=params["time_limit_s"],
            seed=params.get("seed"),
            on_progress=on_progress,
            deterministic=params.get("deterministic", False),
            relative_gap=params.get("relative_gap"),
        )
        conn.send(("done", plan.model_dump(mode="json")))
    except ScenarioError as exc:
        conn.send(("failed", f"the scenario cannot be solved: {exc}"))
    except Exception as exc:  # the job fails with its reason; the server carries on
        log.exception("solve failed")
        conn.send(("failed", f"the solver failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _exit_with_parent() -> None:
    """Stop solving if the server dies, rather than burn a core for nobody."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(3)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
