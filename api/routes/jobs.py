"""Solve jobs: submit (202), watch progress, cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import utcnow
from api.deps import Caller, CallerDep, RunnerDep, SessionDep, SettingsDep, owned, revision_number
from api.jobs import JobRunner
from api.models import Job, ScenarioRevision
from api.problems import ApiError
from api.routes.paging import Limit, Offset
from api.routes.scenarios import own_scenario, revision_of
from api.schemas import JobPublic, Page, Progress, SolveRequest
from api.settings import Settings

router = APIRouter(tags=["jobs"])
RETRY_AFTER_S = 10


@router.post(
    "/v1/scenarios/{scenario_id}/solve",
    status_code=202,
    response_model=JobPublic,
    responses={429: {"description": "The queue is full; retry after the time in Retry-After."}},
)
def solve_scenario(
    scenario_id: str,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    runner: RunnerDep,
    response: Response,
    request: Annotated[SolveRequest | None, Body()] = None,
) -> JobPublic:
    """Queue a solve of the scenario's newest revision (or the one asked for); poll the job."""
    request = request or SolveRequest()
    scenario = own_scenario(session, caller, scenario_id)
    revision = revision_of(session, scenario, request.revision)
    params = _params(request, revision, settings)
    job = queue_job(session, caller, settings, runner, "solve", scenario.id, revision.id, params)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_public(job, revision.number)


def queue_job(
    session: Session,
    caller: Caller,
    settings: Settings,
    runner: JobRunner,
    kind: str,
    scenario_id: str,
    revision_id: str,
    params: dict[str, Any],
) -> Job:
    """A new queued job, or 429 with Retry-After when the queue is full."""
    if runner.active_jobs(session) >= settings.queue_limit:
        raise ApiError(
            429, "the job queue is full; try again shortly", headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    job = Job(
        organisation_id=caller.organisation_id,
        kind=kind,
        scenario_id=scenario_id,
        revision_id=revision_id,
        params=params,
    )
    session.add(job)
    session.commit()
    runner.wake()
    return job


def _params(request: SolveRequest, revision: ScenarioRevision, settings: Settings) -> dict[str, object]:
    """The solve's settings, with the time limit resolved and held within the server's cap."""
    policy = revision.document.get("policy") or {}
    asked = request.time_limit_s
    if asked is not None and asked > settings.max_time_limit_s:
        raise ApiError(
            422, f"time_limit_s: {asked:g} s is over this server's limit of {settings.max_time_limit_s:g} s"
        )
    default = policy.get("time_limit_s") if isinstance(policy, dict) else None
    limit = asked if asked is not None else float(default or 10)
    params = request.model_dump(exclude={"revision", "time_limit_s"})
    return params | {"time_limit_s": min(limit, settings.max_time_limit_s)}


@router.get("/v1/jobs", response_model=Page[JobPublic])
def list_jobs(session: SessionDep, caller: CallerDep, limit: Limit = 50, offset: Offset = 0) -> Page:
    """The organisation's jobs, newest first."""
    mine = Job.organisation_id == caller.organisation_id
    total = session.scalar(select(func.count()).select_from(Job).where(mine)) or 0
    found = session.execute(
        select(Job, ScenarioRevision.number)
        .join(ScenarioRevision, Job.revision_id == ScenarioRevision.id)
        .where(mine)
        .order_by(Job.created_at.desc(), Job.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(items=[job_public(j, n) for j, n in found], total=total, limit=limit, offset=offset)


@router.get("/v1/jobs/{job_id}", response_model=JobPublic)
def get_job(job_id: str, session: SessionDep, caller: CallerDep) -> JobPublic:
    """A job's status and live progress; ``plan_id`` once it is done."""
    job = owned(session, caller, Job, job_id, "job")
    return job_public(job, revision_number(session, job.revision_id))


@router.delete(
    "/v1/jobs/{job_id}", response_model=JobPublic, responses={409: {"description": "Already over."}}
)
def cancel_job(job_id: str, session: SessionDep, caller: CallerDep, runner: RunnerDep) -> JobPublic:
    """Cancel a queued or running job."""
    job = owned(session, caller, Job, job_id, "job")
    if job.status not in ("queued", "running"):
        raise ApiError(409, f"job '{job_id}' is already {job.status}")
    job.status, job.finished_at = "cancelled", utcnow()
    session.commit()
    runner.cancel(job.id)
    return job_public(job, revision_number(session, job.revision_id))


def job_public(job: Job, revision: int) -> JobPublic:
    return JobPublic(
        id=job.id,
        kind=job.kind,
        status=job.status,
        scenario_id=job.scenario_id,
        scenario_revision=revision,
        params=job.params,
        progress=Progress(**job.progress) if job.progress else None,
        plan_id=job.plan_id,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
