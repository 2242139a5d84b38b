"""Dependencies shared by the routes: the database session and who is calling."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.jobs import JobRunner
from api.models import ApiKey, Batch, Job, Plan, Scenario, ScenarioRevision, is_id
from api.problems import ApiError, not_found
from api.settings import Settings

bearer = HTTPBearer(auto_error=False, description="An organisation's API key (or the admin key).")


def key_hash(key: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is a safe way to keep them."""
    return hashlib.sha256(key.encode()).hexdigest()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions() as session:
        yield session


def get_runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RunnerDep = Annotated[JobRunner, Depends(get_runner)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True)
class Caller:
    """An organisation, identified by one of its keys."""

    organisation_id: str


def _unauthorised(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def require_admin(credentials: Credentials, settings: SettingsDep) -> None:
    """The admin key from ``CAPACITY_ADMIN_KEY``; without one set, admin routes are closed."""
    if credentials is None:
        raise _unauthorised("an admin key is required (Authorization: Bearer <key>)")
    admin = settings.admin_key.get_secret_value() if settings.admin_key else ""
    if not admin or not hmac.compare_digest(credentials.credentials.encode(), admin.encode()):
        raise ApiError(403, "this route needs the admin key (CAPACITY_ADMIN_KEY)")


def require_organisation(credentials: Credentials, session: SessionDep) -> Caller:
    """The organisation whose key is presented; every /v1 data route is scoped to it."""
    if credentials is None:
        raise _unauthorised("an API key is required (Authorization: Bearer <key>)")
    found = session.scalars(
        select(ApiKey).where(
            ApiKey.key_hash == key_hash(credentials.credentials), ApiKey.revoked_at.is_(None)
        )
    ).first()
    if found is None:
        raise _unauthorised("the API key is not valid")
    return Caller(found.organisation_id)


AdminDep = Annotated[None, Depends(require_admin)]
CallerDep = Annotated[Caller, Depends(require_organisation)]


M = TypeVar("M", Job, Plan, Batch, Scenario)


def owned(session: Session, caller: Caller, model: type[M], id_: str, kind: str) -> M:
    """The caller's row of ``model``, or 404: also for another organisation's, or a deleted one."""
    row = session.get(model, id_) if is_id(id_) else None
    if row is None or row.organisation_id != caller.organisation_id or getattr(row, "deleted_at", None):
        raise not_found(kind, id_)
    return row


def revision_number(session: Session, revision_id: str) -> int:
    """The number of a scenario revision (ids are what rows keep; users see numbers)."""
    return session.get_one(ScenarioRevision, revision_id).number
