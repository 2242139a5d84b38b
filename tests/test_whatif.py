"""What would let a project in: every answer is checked by applying it and solving again."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from engine import build, parse_scenario, solve
from engine.plan import Plan
from engine.whatif import apply_extra, displaced_if_forced, least_extra_capacity, let_in
from tests import oracle
from tests.conftest import EXAMPLE, NHS, tiny


def _solved(document: dict[str, Any], solver: str = "greedy") -> Plan:
    return solve(document, solver, time_limit=5, deterministic=True)


def _kept_and_forced(document: dict[str, Any], plan: Plan, forced: dict[str, Any]) -> dict[str, Any]:
    """The document with every selected project fixed where the plan has it, plus ``forced``."""
    document = copy.deepcopy(document)
    starts = {p.id: p.start_period for p in plan.projects if p.selected}
    for project in document["projects"]:
        if project["id"] in starts:
            project.update(start=starts[project["id"]], mandatory=True)
        project.update(forced.get(project["id"], {}))
    return document


@pytest.mark.parametrize("path", [EXAMPLE, NHS], ids=["example", "nhs-trust"])
def test_every_answer_lets_the_project_in_without_dropping_anything(path: Any) -> None:
    document = json.loads(path.read_text())
    scenario = parse_scenario(document)
    data = build(scenario)
    plan = _solved(document)
    checked = 0
    for result in plan.projects:
        if result.selected:
            continue
        answer = let_in(data, plan, result.id)
        if answer.earliest_start is None:
            assert answer.blocked_by or not answer.extra
            continue
        if answer.fits_from is not None:  # "fits as the plan stands from period t"
            as_is = _kept_and_forced(
                document, plan, {result.id: {"start": answer.fits_from, "mandatory": True}}
            )
            again = _solved(as_is)
            assert (
                again.status in ("optimal", "feasible")
                and oracle.check(as_is, again.model_dump(mode="json")) == []
            )
        applied = apply_extra(scenario, data, answer)
        kept = _kept_and_forced(applied, plan, {})
        again = _solved(kept)
        assert again.status in ("optimal", "feasible"), (result.id, again.conflicts)
        selected = {p.id for p in again.projects if p.selected}
        assert result.id in selected and {p.id for p in plan.projects if p.selected} <= selected
        assert oracle.check(kept, again.model_dump(mode="json")) == []
        checked += 1
    assert checked >= 1


def test_the_least_extra_capacity_is_exact_and_goes_to_the_cheaper_skill() -> None:
    """Ann does analysis or development; 6 hours are missing and development is the cheaper hire."""
    document = tiny(
        staff=[
            {"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}, "cost_per_hour": 50},
            {"id": "ba-rate", "fte": 0, "skills": {"ba": 1}, "cost_per_hour": 100},
            {"id": "dev-rate", "fte": 0, "skills": {"dev": 1}, "cost_per_hour": 10},
        ],
        projects=[
            {
                "id": "p",
                "value": 10,
                "phases": [
                    {"periods": 2, "demand": [{"skill": "ba", "hours": 8}, {"skill": "dev", "hours": 8}]}
                ],
            }
        ],
    )
    data = build(parse_scenario(document))
    extra = least_extra_capacity(data, {}, 0, 1)
    assert [(e.skill, e.hours) for e in extra] == [("dev", {1: 6.0, 2: 6.0})]


def test_forcing_a_project_in_names_what_it_displaces() -> None:
    one_slot = [{"periods": 6, "demand": [{"skill": "ba", "fte": 1.0}]}]
    document = tiny(
        projects=[
            {"id": "big", "value": 100, "phases": one_slot},
            {"id": "small", "value": 50, "phases": one_slot},
        ]
    )
    scenario = parse_scenario(document)
    plan = _solved(document, "cp-sat")
    assert [p.id for p in plan.selected()] == ["big"]
    displaced = displaced_if_forced(scenario, plan, "small", time_limit=5)
    assert displaced.dropped == ["big"] and displaced.objective_change == pytest.approx(-50)


def test_a_project_whose_predecessor_is_out_names_it() -> None:
    one_slot = [{"periods": 6, "demand": [{"skill": "ba", "fte": 1.0}]}]
    document = tiny(
        projects=[
            {"id": "big", "value": 100, "phases": one_slot},
            {"id": "small", "value": 50, "phases": one_slot},
            {
                "id": "after",
                "value": 5,
                "depends_on": ["small"],
                "phases": [{"periods": 1, "demand": []}],
            },
        ]
    )
    document["calendar"]["periods"] = 8
    plan = _solved(document, "cp-sat")
    answer = let_in(build(parse_scenario(document)), plan, "after")
    assert answer.blocked_by == ["small"]


def test_the_extra_capacity_in_plan_explanations_lets_each_project_in() -> None:
    document = json.loads(NHS.read_text())
    plan = _solved(document)
    explained = [
        p for p in plan.projects if not p.selected and p.explanation.code in ("capacity", "displaced")
    ]
    assert explained
    for result in explained[:6]:
        why = result.explanation.model_dump()
        kept = _kept_and_forced(document, plan, {result.id: {"start": why["extra_from"], "mandatory": True}})
        for n, extra in enumerate(why["extra_capacity"]):
            fte = {int(t): f for t, f in extra["fte"].items()}
            kept["staff"].append(
                {
                    "id": f"extra-{n}",
                    "fte": max(fte.values()),
                    "fte_by_period": [fte.get(t, 0.0) for t in range(document["calendar"]["periods"])],
                    "skills": {extra["skill"]: extra["min_level"]},
                }
            )
        again = _solved(kept)
        assert again.status in ("optimal", "feasible"), (result.id, again.conflicts)
        assert result.id in {p.id for p in again.selected()}
