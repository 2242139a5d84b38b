"""What-if batches: variants of one scenario revision, each solved as a job with its own plan.

The spec is the one ``capacity batch`` reads (docs/VARIANTS.md), with the base scenario named by
id instead of a file. Every variant becomes a normal solve job, queued at once; a variant whose
changes do not apply is recorded as failed and the others go on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from api.db import utcnow
from api.deps import CallerDep, RunnerDep, SessionDep, SettingsDep, owned, revision_number
from api.models import Batch, Job, Plan, ScenarioRevision
from api.problems import ApiError
from api.routes.paging import Limit, Offset
from api.routes.scenarios import own_scenario, revision_of
from engine import Problem
from engine.batch import parse_spec, prepare_variant, summary_row
from engine.variants import Variant

router = APIRouter(prefix="/v1/batches", tags=["batches"])
MAX_VARIANTS = 500


class BatchCreate(BaseModel):
    """A batch spec (docs/VARIANTS.md) on a saved scenario."""

    model_config = ConfigDict(extra="forbid")

    scenario_id: str = Field(max_length=64)
    revision: int | None = Field(None, ge=1, description="Default: the newest.")
    solve: dict[str, Any] = Field(default_factory=dict, description="solver, time_limit, seed, deterministic")
    include_base: bool = True
    variants: dict[str, Any] = Field(default_factory=dict, examples=[{"more-ba": [{"add_capacity": {}}]}])
    grids: dict[str, Any] = Field(default_factory=dict)


class VariantStatus(BaseModel):
    variant: str
    parameters: dict[str, Any]
    job_id: str | None
    status: str
    plan_id: str | None = None
    error: str | None = None


class BatchPublic(BaseModel):
    id: str
    scenario_id: str
    scenario_revision: int
    status: str = Field(description="running while any variant is queued or running; then done")
    progress: dict[str, int] = Field(description="total, done, failed, cancelled, running, queued")
    variants: list[VariantStatus]
    summary: list[dict[str, Any]] = Field(
        description="One row per variant, as summary.csv of capacity batch."
    )
    created_at: Any


@router.post("", status_code=202, response_model=BatchPublic, responses={429: {"description": "Queue full."}})
def create_batch(
    body: Annotated[BatchCreate, Body()],
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    runner: RunnerDep,
    response: Response,
) -> BatchPublic:
    """Queue every variant of the batch as a solve job; poll the batch for progress and the summary."""
    scenario = own_scenario(session, caller, body.scenario_id)
    revision = revision_of(session, scenario, body.revision)
    spec_doc = body.model_dump(exclude={"scenario_id", "revision"}) | {"base": revision.document}
    spec = parse_spec(spec_doc)
    if len(spec.variants) > MAX_VARIANTS:
        raise ApiError(
            413, f"{len(spec.variants)} variants; this server runs at most {MAX_VARIANTS} per batch"
        )
    limit = spec.options.time_limit or float(
        (revision.document.get("policy") or {}).get("time_limit_s") or 10
    )
    if limit > settings.max_time_limit_s:
        problem = Problem("solve.time_limit", f"over this server's limit of {settings.max_time_limit_s:g} s")
        raise ApiError(422, "the request is not valid", problems=[problem])
    prepared = [prepare_variant(spec.base, v) for v in spec.variants]
    runnable = sum(1 for _, doc, _ in prepared if doc is not None)
    if runner.active_jobs(session) + runnable > settings.queue_limit:
        raise ApiError(429, "the job queue cannot take this batch now", headers={"Retry-After": "30"})
    batch = Batch(
        organisation_id=caller.organisation_id,
        scenario_id=scenario.id,
        revision_id=revision.id,
        spec=body.model_dump(mode="json"),
        variants=[{"name": v.name, "parameters": v.parameters} for v, _, _ in prepared],
    )
    session.add(batch)
    session.flush()
    params = spec.options.model_dump(exclude={"time_limit"}) | {"time_limit_s": limit}
    for variant, document, error in prepared:
        session.add(_job(batch, caller.organisation_id, variant, document, error, params))
    session.commit()
    runner.wake()
    response.headers["Location"] = f"/v1/batches/{batch.id}"
    return _public(session, batch, revision.number)


def _job(
    batch: Batch, organisation_id: str, variant: Variant, document: Any, error: str | None, params: dict
) -> Job:
    failed = document is None
    return Job(
        organisation_id=organisation_id,
        kind="solve",
        status="failed" if failed else "queued",
        scenario_id=batch.scenario_id,
        revision_id=batch.revision_id,
        params=params,
        batch_id=batch.id,
        variant=variant.name,
        document=document,
        error=f"the variant does not apply: {error}" if failed else None,
        finished_at=utcnow() if failed else None,
    )


@router.get("", response_model=dict[str, Any])
def list_batches(
    session: SessionDep, caller: CallerDep, limit: Limit = 50, offset: Offset = 0
) -> dict[str, Any]:
    """The organisation's batches, newest first (ids, scenario and size)."""
    mine = Batch.organisation_id == caller.organisation_id
    total = session.scalar(select(func.count()).select_from(Batch).where(mine)) or 0
    rows = session.scalars(
        select(Batch).where(mine).order_by(Batch.created_at.desc(), Batch.id).limit(limit).offset(offset)
    ).all()
    items = [
        {"id": b.id, "scenario_id": b.scenario_id, "variants": len(b.variants), "created_at": b.created_at}
        for b in rows
    ]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/{batch_id}", response_model=BatchPublic)
def get_batch(batch_id: str, session: SessionDep, caller: CallerDep) -> BatchPublic:
    """Progress, each variant's job and plan, and the summary table."""
    batch = owned(session, caller, Batch, batch_id, "batch")
    return _public(session, batch, revision_number(session, batch.revision_id))


@router.delete("/{batch_id}", response_model=BatchPublic)
def cancel_batch(batch_id: str, session: SessionDep, caller: CallerDep, runner: RunnerDep) -> BatchPublic:
    """Cancel every variant still queued or running; finished ones keep their plans."""
    batch = owned(session, caller, Batch, batch_id, "batch")
    active = session.scalars(
        select(Job).where(Job.batch_id == batch.id, Job.status.in_(("queued", "running")))
    )
    cancelled = []
    for job in active:
        job.status, job.finished_at = "cancelled", utcnow()
        cancelled.append(job.id)
    session.commit()
    for job_id in cancelled:
        runner.cancel(job_id)
    return _public(session, batch, revision_number(session, batch.revision_id))


def _public(session: SessionDep, batch: Batch, revision: int) -> BatchPublic:
    jobs = {j.variant: j for j in session.scalars(select(Job).where(Job.batch_id == batch.id))}
    plan_ids = [j.plan_id for j in jobs.values() if j.plan_id]
    plans = {p.id: p.document for p in session.scalars(select(Plan).where(Plan.id.in_(plan_ids)))}
    base = session.get_one(ScenarioRevision, batch.revision_id)
    skills = [skill["id"] for skill in base.document.get("skills", [])]
    variants, summary = [], []
    counts = {"total": len(batch.variants), "done": 0, "failed": 0, "cancelled": 0, "running": 0, "queued": 0}
    for entry in batch.variants:
        job = jobs.get(entry["name"])
        status = job.status if job else "failed"
        counts[status] = counts.get(status, 0) + 1
        plan = plans.get(job.plan_id) if job and job.plan_id else None
        error = job.error if job else "no job"
        variants.append(
            VariantStatus(
                variant=entry["name"],
                parameters=entry["parameters"],
                job_id=job.id if job else None,
                status=status,
                plan_id=job.plan_id if job else None,
                error=error,
            )
        )
        row = summary_row(Variant(entry["name"], parameters=entry["parameters"]), plan, skills, error)
        if plan is None:
            row["status"] = status  # queued, running, cancelled or failed
        summary.append(row)
    running = counts["running"] + counts["queued"] > 0
    return BatchPublic(
        id=batch.id,
        scenario_id=batch.scenario_id,
        scenario_revision=revision,
        status="running" if running else "done",
        progress=counts,
        variants=variants,
        summary=summary,
        created_at=batch.created_at,
    )
