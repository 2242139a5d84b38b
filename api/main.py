"""The FastAPI application: ``create_app(settings)``; ``capacity serve`` runs it with uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import problems
from api.db import IN_FLIGHT, make_engine, migrate, session_factory
from api.jobs import JobRunner
from api.routes import batches, compare, health, jobs, organisations, plans, scenarios
from api.schemas import ProblemDetails
from api.settings import Settings

log = logging.getLogger(__name__)
DESCRIPTION = """\
Plan a portfolio of change projects against the staff who do the work.

Save a **scenario** (projects, skills, staff, policy: see FORMAT.md), queue a **solve**
(202 and a job to poll), read the **plan**, and compare plans side by side. Every `/v1`
route needs `Authorization: Bearer <key>`: an organisation's key, which sees only that
organisation's data, or for `/v1/organisations` the admin key (`CAPACITY_ADMIN_KEY`).
Errors are RFC 9457 problem details; invalid scenarios list every problem with its path.
"""
ERRORS = {
    status: {"model": ProblemDetails, "content": {"application/problem+json": {}}}
    for status in (400, 401, 403, 404, 413, 422, 429)
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, with its database migrated and its job runner started on startup."""
    settings = settings or Settings()
    engine = make_engine(settings.url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        app.state.runner = JobRunner(app.state.sessions, settings.workers)
        app.state.runner.start()
        log.info("capacity API ready (database %s)", engine.url.render_as_string(hide_password=True))
        yield
        app.state.runner.stop()
        engine.dispose()

    app = FastAPI(
        title="capacity",
        version="0.1.0",
        summary="Resource capacity optimisation for project and portfolio management.",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERRORS,  # type: ignore[arg-type]
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    problems.install(app)
    app.add_middleware(problems.BodyGuard, max_bytes=settings.max_request_bytes)
    app.add_middleware(problems.InFlightLimit, limit=IN_FLIGHT)
    for module in (health, organisations, scenarios, jobs, plans, compare, batches):
        app.include_router(module.router)
    return app
