"""The one executor: local processes and Dask run the same tasks the same way."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest

from engine.executor import LocalExecutor, LocalTask, Report, TaskFailed, make_executor, run_all


def square(payload: int, report: Report) -> int:
    report({"step": 1})
    return payload * payload


def fail(payload: str, report: Report) -> None:
    if payload == "plain":
        raise TaskFailed("the scenario cannot be solved: no")
    raise ValueError(payload)


def slow(payload: float, report: Report) -> str:
    for k in range(int(payload * 20)):
        report({"k": k})
        time.sleep(0.05)
    return "slept"


def test_local_tasks_give_results_in_order_with_progress() -> None:
    events: list[tuple[int, dict[str, Any]]] = []
    with LocalExecutor(2) as executor:
        outcomes = run_all(executor, square, [1, 2, 3], on_progress=lambda i, e: events.append((i, e)))
    assert outcomes == [("done", 1), ("done", 4), ("done", 9)]
    assert sorted(i for i, _ in events) == [0, 1, 2] and events[0][1] == {"step": 1}


def test_failures_carry_their_reason_and_the_rest_go_on() -> None:
    with LocalExecutor(2) as executor:
        outcomes = run_all(executor, fail, ["plain", "boom"])
    assert outcomes == [("failed", "the scenario cannot be solved: no"), ("failed", "ValueError: boom")]


def test_cancel_stops_a_running_local_task_and_a_killed_one_says_why() -> None:
    executor = LocalExecutor(2)
    task = executor.submit(slow, 30.0)
    killed = executor.submit(slow, 30.0)
    assert isinstance(task, LocalTask) and isinstance(killed, LocalTask)
    deadline = time.monotonic() + 30
    while not task.poll() and time.monotonic() < deadline:  # running: progress arrives
        executor.wait([task], 0.1)
    task.cancel()
    assert task.outcome == ("failed", "cancelled") and task.process.exitcode is not None
    os.kill(killed.process.pid, signal.SIGKILL)
    while not killed.finished and time.monotonic() < deadline:
        executor.wait([killed], 0.1)
        killed.poll()
    assert killed.outcome is not None and "killed (signal 9)" in killed.outcome[1]


def test_the_environment_names_the_dask_scheduler(
    monkeypatch: pytest.MonkeyPatch, dask_scheduler: str
) -> None:
    monkeypatch.setenv("CAPACITY_DASK_SCHEDULER", dask_scheduler)
    with make_executor() as executor:
        assert type(executor).__name__ == "DaskExecutor"
        outcomes = run_all(executor, square, [2, 3])
        failures = run_all(executor, fail, ["plain", "boom"])
    assert outcomes == [("done", 4), ("done", 9)]
    assert failures == [("failed", "the scenario cannot be solved: no"), ("failed", "ValueError: boom")]
    monkeypatch.delenv("CAPACITY_DASK_SCHEDULER")
    with make_executor(workers=3) as local:
        assert isinstance(local, LocalExecutor) and local.slots == 3


def test_the_api_runs_its_solve_jobs_on_dask_when_told_to(
    monkeypatch: pytest.MonkeyPatch, dask_scheduler: str, tmp_path: Any
) -> None:
    """CAPACITY_DASK_SCHEDULER moves the API's solves to the cluster; nothing else changes."""
    from fastapi.testclient import TestClient

    from api import Settings, create_app
    from engine.executor import DaskExecutor
    from tests import oracle
    from tests.api_helpers import ADMIN_KEY, Api, example

    monkeypatch.setenv("CAPACITY_DASK_SCHEDULER", dask_scheduler)
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'c.db'}", admin_key=ADMIN_KEY)
    with TestClient(create_app(settings)) as client:
        api = Api(client)
        assert isinstance(client.app.state.runner._executor, DaskExecutor)  # type: ignore[attr-defined]
        me = api.organisation()
        job = api.solve(me, api.scenario(me), solver="cp-sat", time_limit_s=2, deterministic=True)
        assert job["status"] == "done", job
        assert job["progress"]["incumbent"] is not None  # coarse on Dask: the end
        plan = client.get(f"/v1/plans/{job['plan_id']}", headers=me).json()
        assert oracle.check(example(), plan) == []
