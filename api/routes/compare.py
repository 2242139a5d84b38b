"""Plans side by side: the same comparison as ``capacity compare``, from one engine function."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CallerDep, SessionDep
from api.models import ScenarioRevision
from api.routes.plans import own_plan
from api.schemas import CompareRequest
from engine import Comparison, compare_plans, parse_scenario
from engine.plan import Plan as PlanDocument

router = APIRouter(tags=["plans"])


@router.post("/v1/compare", response_model=Comparison)
def compare(body: CompareRequest, session: SessionDep, caller: CallerDep) -> Comparison:
    """Projects in, out and moved against the first plan; value, cost and utilisation per skill.

    Plans are named by their ids; each is compared with the scenario revision it was solved from.
    """
    rows = [own_plan(session, caller, plan_id) for plan_id in body.plan_ids]
    plans = [PlanDocument.model_validate(row.document) for row in rows]
    scenarios = [parse_scenario(session.get_one(ScenarioRevision, row.revision_id).document) for row in rows]
    return compare_plans(plans, scenarios, names=body.plan_ids)
