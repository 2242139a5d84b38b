"""Plans: the FORMAT.md document, with the ids that tie it to its scenario revision and job."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from api.deps import CallerDep, RunnerDep, SessionDep, SettingsDep, owned, revision_number
from api.models import Plan, ScenarioRevision
from api.problems import ApiError, not_found
from api.routes.jobs import job_public, queue_job
from api.routes.paging import Limit, Offset
from api.schemas import JobPublic, RecommendRequest
from engine import Problem, build, parse_scenario
from engine.plan import Plan as PlanDocument
from engine.whatif import explain_rows, row_json

router = APIRouter(prefix="/v1/plans", tags=["plans"])


class PlanPublic(PlanDocument):
    """A plan (FORMAT.md) and where it came from."""

    id: str
    scenario_id: str
    scenario_revision: int
    job_id: str | None = None
    created_at: dt.datetime


def own_plan(session: SessionDep, caller: CallerDep, plan_id: str) -> Plan:
    """The caller's plan, or 404 (also for another organisation's)."""
    return owned(session, caller, Plan, plan_id, "plan")


@router.get("/{plan_id}", response_model=PlanPublic)
def get_plan(plan_id: str, session: SessionDep, caller: CallerDep) -> PlanPublic:
    """The plan: projects in and out (with explanations), assignments, metrics."""
    plan = own_plan(session, caller, plan_id)
    revision = revision_number(session, plan.revision_id)
    return PlanPublic.model_validate(
        plan.document
        | {
            "id": plan.id,
            "scenario_id": plan.scenario_id,
            "scenario_revision": revision,
            "job_id": plan.job_id,
            "created_at": plan.created_at,
        }
    )


@router.get("/{plan_id}/explanations")
def get_explanations(
    plan_id: str,
    session: SessionDep,
    caller: CallerDep,
    project: Annotated[str | None, Query(max_length=200, description="Only this project.")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Why each project is out, and what would let it in: the earliest start that fits as the
    plan stands, and the least extra capacity (per skill and period) at its earliest start.
    What forcing a project in would displace takes a solve: ask for it as a recommendations job.
    """
    plan = own_plan(session, caller, plan_id)
    scenario = parse_scenario(session.get_one(ScenarioRevision, plan.revision_id).document)
    data, document = build(scenario), PlanDocument.model_validate(plan.document)
    out = [p.id for p in document.projects if not p.selected]
    if project is not None and project not in out:
        raise not_found("project left out of this plan", project)
    chosen = [project] if project is not None else out[offset : offset + limit]
    rows = [row for pid in chosen for row in explain_rows(scenario, data, document, pid, None)]
    items = [row_json(data, *row) for row in rows]
    return {"items": items, "total": 1 if project is not None else len(out), "limit": limit, "offset": offset}


@router.post(
    "/{plan_id}/recommendations",
    status_code=202,
    response_model=JobPublic,
    responses={429: {"description": "The queue is full; retry after the time in Retry-After."}},
)
def recommend_for_plan(
    plan_id: str,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    runner: RunnerDep,
    response: Response,
    body: Annotated[RecommendRequest | None, Body()] = None,
) -> JobPublic:
    """Queue a recommendations job: where one more FTE adds most value (from solves), and what
    forcing each of ``projects`` in would displace. The job's ``result`` holds the answer."""
    body = body or RecommendRequest()
    plan = own_plan(session, caller, plan_id)
    document = PlanDocument.model_validate(plan.document)
    out = {p.id for p in document.projects if not p.selected}
    problems = [
        Problem(f"projects[{i}]", f"'{pid}' is not a project this plan leaves out")
        for i, pid in enumerate(body.projects)
        if pid not in out
    ]
    if body.time_limit_s > settings.max_time_limit_s:
        problems.append(
            Problem("time_limit_s", f"over this server's limit of {settings.max_time_limit_s:g} s")
        )
    if problems:
        raise ApiError(422, "the request is not valid", problems=problems)
    params = body.model_dump() | {"plan_id": plan.id}
    job = queue_job(
        session, caller, settings, runner, "recommend", plan.scenario_id, plan.revision_id, params
    )
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_public(job, revision_number(session, plan.revision_id))
