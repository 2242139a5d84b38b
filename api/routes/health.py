"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from sqlalchemy.exc import SQLAlchemyError

from api.db import ping
from api.problems import ApiError

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database or the job runner is not ready."}})
def readyz(request: Request) -> dict[str, str]:
    """The database answers and the job runner is running."""
    try:
        ping(request.app.state.engine)
    except SQLAlchemyError as exc:
        log.warning("readiness: database: %s", exc)
        raise ApiError(503, "the database does not answer") from exc
    if not request.app.state.runner.alive():
        raise ApiError(503, "the job runner is not running")
    return {"status": "ready", "database": "ok", "jobs": "ok"}
