"""Tables. Every scenario, job and plan belongs to one organisation (the tenancy key)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from api.db import utcnow

Document = JSON().with_variant(JSONB(), "postgresql")


class Timestamp(TypeDecorator[dt.datetime]):
    """A UTC timestamp that comes back timezone-aware, also from SQLite (which drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value


def new_id() -> str:
    return uuid.uuid4().hex


def is_id(text: str) -> bool:
    """Whether ``text`` could be one of our ids; anything else is not found without asking the database."""
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class ApiKey(Base):
    """An organisation's key, kept only as a SHA-256 hash (keys are 256 random bits)."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class Scenario(Base):
    """A named scenario; its content lives in revisions, the newest being ``revision``."""

    __tablename__ = "scenarios"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class ScenarioRevision(Base):
    """One saved version of a scenario document, never changed once written."""

    __tablename__ = "scenario_revisions"
    __table_args__ = (UniqueConstraint("scenario_id", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(Document)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Job(Base):
    """A solve or a recommendations run, in the queue, running, or finished."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="solve")
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    revision_id: Mapped[str] = mapped_column(ForeignKey("scenario_revisions.id"))
    params: Mapped[dict[str, Any]] = mapped_column(Document)
    progress: Mapped[dict[str, Any] | None] = mapped_column(Document, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(Document, nullable=True)
    batch_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    variant: Mapped[str | None] = mapped_column(String(200), nullable=True)
    document: Mapped[dict[str, Any] | None] = mapped_column(Document, nullable=True)  # a variant's scenario
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class Plan(Base):
    """A plan (FORMAT.md) and the exact scenario revision it was solved from."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"), index=True)
    revision_id: Mapped[str] = mapped_column(ForeignKey("scenario_revisions.id"))
    job_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    objective: Mapped[float | None] = mapped_column(Float, nullable=True)
    document: Mapped[dict[str, Any]] = mapped_column(Document)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class Batch(Base):
    """A what-if batch on one scenario revision: every variant is a solve job with its own plan."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    scenario_id: Mapped[str] = mapped_column(ForeignKey("scenarios.id"))
    revision_id: Mapped[str] = mapped_column(ForeignKey("scenario_revisions.id"))
    spec: Mapped[dict[str, Any]] = mapped_column(Document)
    variants: Mapped[list[dict[str, Any]]] = mapped_column(Document)  # name, parameters, error: in order
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
