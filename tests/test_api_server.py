"""A real ``capacity serve`` process: solve over HTTP, and lose nothing when it is killed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from engine import check_plan, parse_scenario
from engine.plan import Plan
from tests import oracle
from tests.api_helpers import ADMIN, ADMIN_KEY
from tests.conftest import EXAMPLE, NHS

CAPACITY = Path(sys.executable).with_name("capacity")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(data_dir: Path, port: int) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes]]]:
    """``capacity serve`` in its own session, as the README starts it; killed on the way out."""
    env = os.environ | {"CAPACITY_DATA_DIR": str(data_dir), "CAPACITY_ADMIN_KEY": ADMIN_KEY}
    log = (data_dir / "server.log").open("ab")
    server = subprocess.Popen(
        [str(CAPACITY), "serve", "--port", str(port)], env=env, stdout=log, stderr=log, start_new_session=True
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        _wait_ready(client, server, data_dir)
        yield client, server
    finally:
        client.close()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        log.close()


def _wait_ready(client: httpx.Client, server: subprocess.Popen[bytes], data_dir: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, (data_dir / "server.log").read_text()
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("the server did not become ready in 60 s")


def _organisation(client: httpx.Client) -> dict[str, str]:
    created = client.post("/v1/organisations", json={"name": "North Trust"}, headers=ADMIN)
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['api_key']}"}


def _job(
    client: httpx.Client, me: dict[str, str], job_id: str, until: tuple[str, ...], timeout: float = 90
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=me).json()
        if job["status"] in until:
            return job
        time.sleep(0.1)
    pytest.fail(f"job {job_id} never reached {until}: {job}")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_solve_over_http_gives_a_plan_the_checkers_accept(tmp_path: Path) -> None:
    document = json.loads(EXAMPLE.read_text())
    with serve(tmp_path, _free_port()) as (client, _):
        me = _organisation(client)
        scenario_id = client.post("/v1/scenarios", json=document, headers=me).json()["id"]
        queued = client.post(f"/v1/scenarios/{scenario_id}/solve", json={"time_limit_s": 5}, headers=me)
        assert queued.status_code == 202 and queued.headers["location"] == f"/v1/jobs/{queued.json()['id']}"
        job = _job(client, me, queued.json()["id"], until=("done", "failed"))
        assert job["status"] == "done", job
        plan = client.get(f"/v1/plans/{job['plan_id']}", headers=me).json()
    assert plan["status"] in ("optimal", "feasible") and plan["solver"] == "cp-sat"
    assert oracle.check(document, plan) == []
    assert check_plan(parse_scenario(document), Plan.model_validate(plan)) == []


def test_a_killed_server_loses_nothing_and_marks_the_running_job_failed(tmp_path: Path) -> None:
    document = json.loads(NHS.read_text())
    port = _free_port()
    with serve(tmp_path, port) as (client, server):
        me = _organisation(client)
        scenario_id = client.post("/v1/scenarios", json=document, headers=me).json()["id"]
        request = {"solver": "cp-sat", "time_limit_s": 120}
        job_id = client.post(f"/v1/scenarios/{scenario_id}/solve", json=request, headers=me).json()["id"]
        _job(client, me, job_id, until=("running",))
        # The job is marked running just before its process starts: give the start a moment.
        started = time.monotonic() + 10
        while not (below := _descendants(server.pid)) and time.monotonic() < started:
            time.sleep(0.1)
        assert below, "the solve runs in a worker process"
        os.kill(server.pid, signal.SIGKILL)  # the server only: its solver processes must not linger
        server.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in below) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in below if _alive(p)], "solver processes outlived the server"
    with serve(tmp_path, port) as (client, _):
        job = client.get(f"/v1/jobs/{job_id}", headers=me).json()
        assert job["status"] == "failed" and "server stopped" in job["error"]
        saved = client.get(f"/v1/scenarios/{scenario_id}", headers=me).json()
        assert saved["document"] == document and saved["revision"] == 1
        again = client.post(
            f"/v1/scenarios/{scenario_id}/solve", json={"solver": "greedy"}, headers=me
        ).json()
        assert _job(client, me, again["id"], until=("done", "failed"))["status"] == "done"


def test_a_stopped_server_requeues_its_running_job_and_finishes_it_after_restart(tmp_path: Path) -> None:
    port = _free_port()
    with serve(tmp_path, port) as (client, server):
        me = _organisation(client)
        scenario_id = client.post("/v1/scenarios", json=json.loads(NHS.read_text()), headers=me).json()["id"]
        request = {"solver": "cp-sat", "time_limit_s": 3}
        job_id = client.post(f"/v1/scenarios/{scenario_id}/solve", json=request, headers=me).json()["id"]
        _job(client, me, job_id, until=("running",))
        server.send_signal(signal.SIGTERM)  # a graceful stop, as a deployment restarts a service
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once stopped
        assert "Application shutdown complete" in (tmp_path / "server.log").read_text()
    with serve(tmp_path, port) as (client, _):
        job = _job(client, me, job_id, until=("done", "failed"))
        assert job["status"] == "done" and job["plan_id"]
