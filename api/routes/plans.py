"""Plans: the FORMAT.md document, with the ids that tie it to its scenario revision and job."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from api.deps import CallerDep, SessionDep
from api.models import Plan, ScenarioRevision, is_id
from api.problems import not_found
from engine.plan import Plan as PlanDocument

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
    plan = session.get(Plan, plan_id) if is_id(plan_id) else None
    if plan is None or plan.organisation_id != caller.organisation_id:
        raise not_found("plan", plan_id)
    return plan


@router.get("/{plan_id}", response_model=PlanPublic)
def get_plan(plan_id: str, session: SessionDep, caller: CallerDep) -> PlanPublic:
    """The plan: projects in and out (with explanations), assignments, metrics."""
    plan = own_plan(session, caller, plan_id)
    revision = session.get_one(ScenarioRevision, plan.revision_id)
    return PlanPublic.model_validate(
        plan.document
        | {
            "id": plan.id,
            "scenario_id": plan.scenario_id,
            "scenario_revision": revision.number,
            "job_id": plan.job_id,
            "created_at": plan.created_at,
        }
    )
