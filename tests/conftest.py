"""Tiny canonical fixtures shared by the tests."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so the suite never flakes;
# HYPOTHESIS_PROFILE=explore draws new ones (for hunting bugs, not for CI).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "example.json"
NHS = ROOT / "scenarios" / "nhs-trust.json"


def tiny(**overrides: Any) -> dict[str, Any]:
    """A two-person, two-project scenario; keyword arguments replace top-level keys."""
    scenario: dict[str, Any] = {
        "name": "tiny",
        "calendar": {"start": "2027-04-05", "period": "week", "periods": 6, "fte_hours": 10},
        "skills": [{"id": "ba"}, {"id": "dev"}],
        "staff": [
            {"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 2}},
            {"id": "bob", "fte": 0.5, "skills": {"dev": 4}},
        ],
        "projects": [
            {"id": "p1", "value": 100, "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 6}]}]},
            {"id": "p2", "value": 50, "phases": [{"periods": 3, "demand": [{"skill": "dev", "fte": 0.5}]}]},
        ],
        "policy": {"objective": "value"},
    }
    scenario.update(copy.deepcopy(overrides))
    return scenario


@pytest.fixture
def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


# -- the HTTP API: one app per test, on SQLite and on PostgreSQL -------------------------
POSTGRES_URL = os.environ.get(
    "CAPACITY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'capacity.db'}"
        return
    yield from _postgres_database()


def _postgres_database() -> Any:
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(POSTGRES_URL)
    name = f"capacity_test_{uuid.uuid4().hex[:12]}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CAPACITY_TEST_POSTGRES") == "required":
            pytest.fail(f"PostgreSQL is required but not reachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Any:
    """A running app (TestClient) on a fresh database, with its job runner."""
    from fastapi.testclient import TestClient

    from api import Settings, create_app
    from tests.api_helpers import ADMIN_KEY, Api

    settings = Settings(
        data_dir=tmp_path, database_url=database_url, admin_key=ADMIN_KEY, workers=2, queue_limit=4
    )
    with TestClient(create_app(settings)) as client:
        yield Api(client)


# -- Dask: one small local cluster for the whole session --------------------------------
@pytest.fixture(scope="session")
def dask_scheduler() -> Any:
    """The address of a Dask LocalCluster: one worker process, one thread."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster.scheduler_address
