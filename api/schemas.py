"""Request and response bodies: a schema family per resource."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first."""

    items: list[T]
    total: int
    limit: int
    offset: int


class ProblemItem(BaseModel):
    """One thing wrong with the input: where, and what, in a sentence."""

    path: str = Field(examples=["projects[3].phases[1]"])
    message: str = Field(examples=["unknown skill 'bz'"])
    severity: Literal["error", "warning"] = "error"


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details; validation errors list every problem found."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemItem] | None = None


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["North Trust"])


class OrganisationPublic(BaseModel):
    id: str
    name: str
    created_at: dt.datetime


class OrganisationCreated(OrganisationPublic):
    api_key: str = Field(description="The organisation's first API key. Shown once: keep it safe.")


class KeyCreated(BaseModel):
    id: str
    organisation_id: str
    api_key: str = Field(description="Shown once: keep it safe.")
    created_at: dt.datetime


class ScenarioSummary(BaseModel):
    id: str
    name: str
    revision: int = Field(description="The newest revision; every update adds one.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ScenarioSaved(ScenarioSummary):
    warnings: list[ProblemItem] = Field(default_factory=list)


class ScenarioPublic(ScenarioSummary):
    document: dict[str, Any] = Field(description="The scenario (FORMAT.md) as saved in this revision.")
    shown_revision: int


class RevisionPublic(BaseModel):
    number: int
    name: str
    created_at: dt.datetime


class SolveRequest(BaseModel):
    """How to solve; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    solver: Literal["cp-sat", "greedy"] = "cp-sat"
    time_limit_s: float | None = Field(
        None, gt=0, description="Seconds; the scenario's policy.time_limit_s (within the server's cap)."
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    deterministic: bool = False
    relative_gap: float | None = Field(None, ge=0, le=1)
    revision: int | None = Field(None, ge=1, description="Solve this revision; default the newest.")


class Progress(BaseModel):
    incumbent: float | None = None
    bound: float | None = None
    gap: float | None = None
    elapsed: float | None = None


class JobPublic(BaseModel):
    id: str
    kind: str
    status: JobStatus
    scenario_id: str
    scenario_revision: int
    params: dict[str, Any]
    progress: Progress | None = None
    plan_id: str | None = None
    result: dict[str, Any] | None = Field(None, description="What a recommendations job found.")
    error: str | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None


class PlanSummary(BaseModel):
    id: str
    scenario_id: str
    scenario_revision: int
    job_id: str | None
    status: str
    objective: float | None
    solver: str
    created_at: dt.datetime


class RecommendRequest(BaseModel):
    """Where one more FTE adds most value, and what forcing chosen projects in would displace."""

    model_config = ConfigDict(extra="forbid")

    top: int = Field(5, ge=1, le=20, description="How many skills to recommend.")
    fte: float = Field(1.0, gt=0, le=50, description="The extra staff each recommendation adds.")
    time_limit_s: float = Field(30.0, gt=0, description="Seconds shared by the solves.")
    deterministic: bool = False
    projects: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Projects left out: what would forcing each in displace?",
    )


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_ids: list[str] = Field(min_length=2, max_length=20, description="The first plan is the baseline.")
