"""Scenarios: saved as revisions, never overwritten; plus their capacity-vs-demand table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from sqlalchemy import func, select

from api.db import utcnow
from api.deps import CallerDep, SessionDep, SettingsDep, owned
from api.models import Plan, Scenario, ScenarioRevision
from api.problems import ApiError
from api.routes.paging import Limit, Offset
from api.schemas import (
    Page,
    PlanSummary,
    ProblemItem,
    RevisionPublic,
    ScenarioPublic,
    ScenarioSaved,
    ScenarioSummary,
)
from api.settings import Settings
from engine import Problem, ScenarioError, build, validate
from engine.demand import capacity_vs_demand, unservable_hours

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])


def _example() -> dict[str, Any]:
    """The shipped example, shown in the docs (absent when installed without the repository)."""
    path = Path(__file__).parents[2] / "scenarios" / "example.json"
    if not path.exists():
        return {}
    return {"example": {"summary": "A small trust portfolio", "value": json.loads(path.read_text("utf-8"))}}


ScenarioBody = Annotated[
    dict[str, Any],
    Body(
        description="A scenario (FORMAT.md); `capacity schema scenario` prints its JSON Schema.",
        openapi_examples=_example(),
    ),
]
RevisionQuery = Annotated[int | None, Query(ge=1, le=10**9, description="A revision; default the newest.")]


def own_scenario(session: SessionDep, caller: CallerDep, scenario_id: str) -> Scenario:
    """The caller's scenario, or 404 (also for another organisation's, or a deleted one)."""
    return owned(session, caller, Scenario, scenario_id, "scenario")


def revision_of(session: SessionDep, scenario: Scenario, number: int | None) -> ScenarioRevision:
    number = scenario.revision if number is None else number
    row = session.scalars(
        select(ScenarioRevision).where(
            ScenarioRevision.scenario_id == scenario.id, ScenarioRevision.number == number
        )
    ).first()
    if row is None:
        raise ApiError(404, f"scenario '{scenario.id}' has no revision {number}")
    return row


def checked(document: dict[str, Any], settings: Settings) -> tuple[str, list[Problem]]:
    """The scenario's name and its warnings; 413 when too large, 422 listing every error."""
    _check_size(document, settings)
    scenario, problems = validate(document)
    if scenario is None or any(p.severity == "error" for p in problems):
        raise ScenarioError(problems)
    return scenario.name or "untitled", [p for p in problems if p.severity == "warning"]


def _check_size(document: dict[str, Any], settings: Settings) -> None:
    for field, limit in (("projects", settings.max_projects), ("staff", settings.max_staff)):
        items = document.get(field)
        if isinstance(items, list) and len(items) > limit:
            raise ApiError(
                413, f"{field}: {len(items):,} entries; this server accepts at most {limit:,} per scenario"
            )


def _saved(row: Scenario, warnings: list[Problem]) -> ScenarioSaved:
    items = [ProblemItem(path=w.path, message=w.message, severity="warning") for w in warnings]
    return ScenarioSaved(**_summary(row).model_dump(), warnings=items)


def _summary(row: Scenario) -> ScenarioSummary:
    return ScenarioSummary(
        id=row.id, name=row.name, revision=row.revision, created_at=row.created_at, updated_at=row.updated_at
    )


@router.post("", status_code=201, response_model=ScenarioSaved)
def create_scenario(
    document: ScenarioBody, session: SessionDep, caller: CallerDep, settings: SettingsDep
) -> ScenarioSaved:
    """Save a new scenario (revision 1). Invalid scenarios answer 422 listing every problem."""
    name, warnings = checked(document, settings)
    row = Scenario(organisation_id=caller.organisation_id, name=name, revision=1)
    session.add(row)
    session.flush()
    session.add(ScenarioRevision(scenario_id=row.id, number=1, document=document))
    session.commit()
    return _saved(row, warnings)


@router.get("", response_model=Page[ScenarioSummary])
def list_scenarios(session: SessionDep, caller: CallerDep, limit: Limit = 50, offset: Offset = 0) -> Page:
    """The organisation's scenarios, most recently changed first."""
    mine = (Scenario.organisation_id == caller.organisation_id, Scenario.deleted_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Scenario).where(*mine)) or 0
    rows = session.scalars(
        select(Scenario)
        .where(*mine)
        .order_by(Scenario.updated_at.desc(), Scenario.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(items=[_summary(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{scenario_id}", response_model=ScenarioPublic)
def get_scenario(
    scenario_id: str, session: SessionDep, caller: CallerDep, revision: RevisionQuery = None
) -> ScenarioPublic:
    """A scenario with its document (the newest revision, or the one asked for)."""
    row = own_scenario(session, caller, scenario_id)
    saved = revision_of(session, row, revision)
    return ScenarioPublic(**_summary(row).model_dump(), document=saved.document, shown_revision=saved.number)


@router.put("/{scenario_id}", response_model=ScenarioSaved)
def update_scenario(
    scenario_id: str, document: ScenarioBody, session: SessionDep, caller: CallerDep, settings: SettingsDep
) -> ScenarioSaved:
    """Save a changed scenario as a new revision; earlier revisions and their plans stay."""
    row = own_scenario(session, caller, scenario_id)
    name, warnings = checked(document, settings)
    row.revision += 1
    row.name, row.updated_at = name, utcnow()
    session.add(ScenarioRevision(scenario_id=row.id, number=row.revision, document=document))
    session.commit()
    return _saved(row, warnings)


@router.delete("/{scenario_id}", status_code=204, response_class=Response)
def delete_scenario(scenario_id: str, session: SessionDep, caller: CallerDep) -> Response:
    """Remove a scenario from lists and lookups. Its plans stay readable by id."""
    row = own_scenario(session, caller, scenario_id)
    row.deleted_at = utcnow()
    session.commit()
    return Response(status_code=204)


@router.get("/{scenario_id}/revisions", response_model=list[RevisionPublic])
def list_revisions(scenario_id: str, session: SessionDep, caller: CallerDep) -> list[RevisionPublic]:
    """Every saved revision, oldest first."""
    row = own_scenario(session, caller, scenario_id)
    revisions = session.scalars(
        select(ScenarioRevision)
        .where(ScenarioRevision.scenario_id == row.id)
        .order_by(ScenarioRevision.number)
    ).all()
    return [
        RevisionPublic(
            number=r.number, name=str(r.document.get("name") or "untitled"), created_at=r.created_at
        )
        for r in revisions
    ]


@router.get("/{scenario_id}/demand")
def get_demand(
    scenario_id: str, session: SessionDep, caller: CallerDep, revision: RevisionQuery = None
) -> dict[str, Any]:
    """Capacity against demand per skill and period, every project at its earliest start."""
    row = own_scenario(session, caller, scenario_id)
    saved = revision_of(session, row, revision)
    scenario, problems = validate(saved.document)
    if scenario is None:
        raise ScenarioError(problems)
    data = build(scenario)
    frame = capacity_vs_demand(data)
    frame["start"] = frame["start"].astype(str)
    rows = json.loads(frame.to_json(orient="records"))
    short = unservable_hours(data)
    return {
        "scenario_id": row.id,
        "revision": saved.number,
        "rows": rows,
        "unservable_hours": [float(h) for h in short.to_numpy()],
    }


@router.get("/{scenario_id}/plans", response_model=Page[PlanSummary])
def list_plans(
    scenario_id: str, session: SessionDep, caller: CallerDep, limit: Limit = 50, offset: Offset = 0
) -> Page:
    """The scenario's plans, newest first."""
    row = own_scenario(session, caller, scenario_id)
    query = select(Plan, ScenarioRevision.number).join(
        ScenarioRevision, Plan.revision_id == ScenarioRevision.id
    )
    query = query.where(Plan.scenario_id == row.id, Plan.organisation_id == caller.organisation_id)
    total = session.scalar(select(func.count()).select_from(Plan).where(Plan.scenario_id == row.id)) or 0
    found = session.execute(query.order_by(Plan.created_at.desc(), Plan.id).limit(limit).offset(offset)).all()
    return Page(items=[plan_summary(p, n) for p, n in found], total=total, limit=limit, offset=offset)


def plan_summary(plan: Plan, revision: int) -> PlanSummary:
    return PlanSummary(
        id=plan.id,
        scenario_id=plan.scenario_id,
        scenario_revision=revision,
        job_id=plan.job_id,
        status=plan.status,
        objective=plan.objective,
        solver=str(plan.document.get("solver", "")),
        created_at=plan.created_at,
    )
