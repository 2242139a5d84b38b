"""The change language: each kind of change applied and checked, and bad changes named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import ScenarioError, parse_scenario
from engine.variants import CHANGES, Variant, apply_variant
from tests.conftest import tiny


def _apply(*changes: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    return apply_variant(base or tiny(), Variant("v", changes))


def _problems(*changes: Any, base: dict[str, Any] | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        _apply(*changes, base=base)
    return [str(p) for p in caught.value.problems]


def _staff(doc: dict[str, Any], staff_id: str) -> dict[str, Any]:
    return next(s for s in doc["staff"] if s["id"] == staff_id)


def _project(doc: dict[str, Any], project_id: str) -> dict[str, Any]:
    return next(p for p in doc["projects"] if p["id"] == project_id)


def test_the_base_is_never_changed_and_the_result_validates() -> None:
    base = tiny()
    doc = apply_variant(base, Variant("v", ({"set_budget": {"total": 10}},)))
    assert base == tiny() and doc["policy"]["budget"] == {"total": 10}
    parse_scenario(doc)


def test_add_staff_from_a_date_is_available_only_from_that_period() -> None:
    doc = _apply({"add_staff": {"id": "cat", "fte": 0.5, "skills": {"ba": 2}, "from": "2027-04-19"}})
    assert _staff(doc, "cat")["fte_by_period"] == [0, 0, 0.5, 0.5, 0.5, 0.5]


def test_add_capacity_is_a_pool_of_that_skill_and_zero_adds_nothing() -> None:
    doc = _apply({"add_capacity": {"skill": "dev", "fte": 2, "level": 4, "to": 2}})
    pool = _staff(doc, "extra-dev-1")
    assert pool["skills"] == {"dev": 4} and pool["fte"] == 2 and pool["fte_by_period"] == [2, 2, 2, 0, 0, 0]
    assert len(_apply({"add_capacity": {"skill": "dev", "fte": 0}})["staff"]) == 2


def test_remove_staff_entirely_or_from_a_period() -> None:
    assert [s["id"] for s in _apply({"remove_staff": {"staff": "bob"}})["staff"]] == ["ann"]
    doc = _apply({"remove_staff": {"staff": ["ann", "bob"], "from": 4}})
    assert _staff(doc, "ann")["fte_by_period"] == [1, 1, 1, 1, 0, 0]
    assert _staff(doc, "bob")["fte_by_period"] == [0.5, 0.5, 0.5, 0.5, 0, 0]


def test_scale_capacity_of_one_skill_or_everyone() -> None:
    doc = _apply({"scale_capacity": {"skill": "ba", "factor": 2}})
    assert _staff(doc, "ann")["fte"] == 2 and _staff(doc, "bob")["fte"] == 0.5
    doc = _apply({"scale_capacity": {"factor": 0.5, "from": 3}})
    assert _staff(doc, "bob")["fte_by_period"] == [0.5, 0.5, 0.5, 0.25, 0.25, 0.25]


def test_budget_set_or_scaled_and_max_utilisation() -> None:
    doc = _apply(
        {"set_budget": {"total": 100}}, {"set_budget": {"factor": 1.5}}, {"set_max_utilisation": 0.8}
    )
    assert doc["policy"]["budget"]["total"] == 150 and doc["policy"]["max_utilisation"] == 0.8
    assert "the scenario has no budget to scale" in _problems({"set_budget": {"factor": 2}})[0]
    assert "must be at most 1" in _problems({"set_max_utilisation": 1.5})[0]


def test_force_in_makes_mandatory_and_force_out_takes_dependants_too() -> None:
    base = tiny()
    base["projects"][1]["depends_on"] = ["p1"]
    assert _project(_apply({"force_in": "p2"}, base=base), "p2")["mandatory"] is True
    assert _apply({"force_out": ["p1"]}, base=base)["projects"] == []
    base["projects"][1]["mandatory"] = True
    assert (
        "'p2' mandatory and depends on a project forced out" in _problems({"force_out": "p1"}, base=base)[0]
    )


def test_fix_and_shift_starts() -> None:
    doc = _apply(
        {"fix_start": {"project": "p1", "start": "2027-04-12"}},
        {"shift_start": {"project": "p1", "periods": 2}},
    )
    assert _project(doc, "p1")["start"] == 3
    doc = _apply({"shift_start": {"project": "p2", "periods": 1}})
    assert _project(doc, "p2")["earliest_start"] == 1 and "start" not in _project(doc, "p2")
    assert "off the calendar" in _problems({"shift_start": {"project": "p2", "periods": 9}})[0]


def test_weights_priorities_demand_and_value() -> None:
    base = tiny(drivers=[{"id": "safety", "weight": 1}])
    doc = _apply(
        {"set_weights": {"safety": 0.3}},
        {"set_priority": {"p1": 70}},
        {"scale_demand": {"projects": "p2", "factor": 2}},
        {"scale_demand": {"skill": "ba", "factor": 0.5}},
        {"scale_value": {"factor": 3}},
        base=base,
    )
    assert doc["drivers"][0]["weight"] == 0.3 and _project(doc, "p1")["priority"] == 70
    assert _project(doc, "p2")["phases"][0]["demand"][0]["fte"] == 1.0
    assert _project(doc, "p1")["phases"][0]["demand"][0]["hours"] == 3
    assert [_project(doc, p)["value"] for p in ("p1", "p2")] == [300, 150]


def test_every_change_kind_is_tested_above() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{kind}"' in source for kind in CHANGES)


def test_bad_changes_are_named_by_variant_change_and_field() -> None:
    problems = _problems(
        {"add_capacity": {"skill": "bz", "fte": 1}},
        {"nonsense": 1},
        {"set_budget": {"total": 1, "factor": 2}},
        {"scale_value": {"projects": ["p1", "nope"], "factor": 2}},
        {"add_staff": {"id": "ann", "skills": {"ba": 1}}},
        {"set_priority": {"p1": 1}, "set_weights": {}},
        {"fix_start": {"project": "p1", "start": 1, "colour": "red"}},
    )
    assert problems[0] == "variants.v.changes[0].add_capacity.skill: unknown skill 'bz'"
    assert problems[1].startswith("variants.v.changes[1]: unknown change 'nonsense'")
    assert problems[2] == "variants.v.changes[2].set_budget: give exactly one of 'total' or 'factor'"
    assert problems[3] == "variants.v.changes[3].scale_value.projects[1]: unknown project 'nope'"
    assert problems[4] == "variants.v.changes[4].add_staff.id: staff 'ann' already exists"
    assert problems[5].startswith("variants.v.changes[5]: a change is a mapping with one key")
    assert problems[6].startswith("variants.v.changes[6].fix_start.colour:")


def test_a_variant_giving_an_invalid_scenario_says_so() -> None:
    problems = _problems({"fix_start": {"project": "p2", "start": 5}})
    assert problems == [
        "variants.v: gives an invalid scenario: projects[1].start: fixed start at period 5 is outside the "
        "window of 'p2' (it must start in periods 0 to 3)"
    ]


def test_change_arguments_are_finite_numbers_within_limits() -> None:
    problems = _problems(
        {"add_staff": {"id": "x", "fte": float("inf"), "skills": {"dev": 3}}},
        {"add_capacity": {"skill": "dev", "fte": True}},
        {"scale_capacity": {"factor": 1e6}},
        {"shift_start": {"project": "p1", "periods": 10**9}},
    )
    assert problems[0] == "variants.v.changes[0].add_staff.fte: must be a finite number"
    assert problems[1] == "variants.v.changes[1].add_capacity.fte: must be a number, not true"
    assert problems[2] == "variants.v.changes[2].scale_capacity.factor: must be at most 1,000, not 1,000,000"
    assert problems[3].startswith("variants.v.changes[3].shift_start.periods:")
