"""Plan comparison: real solves of the example and a leaner variant, checked against the plans."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import pytest

import engine
from engine.compare import Comparison, compare_plans
from engine.errors import ScenarioError
from engine.io import write_plan
from engine.plan import Plan
from engine.scenario import Scenario
from tests import oracle
from tests.conftest import EXAMPLE, tiny


def _lean(example: dict[str, Any]) -> dict[str, Any]:
    """The example with less budget and every person at 80%: a board's "what if we're cut"."""
    lean = copy.deepcopy(example)
    lean["name"] = "example, lean"
    lean["policy"]["budget"]["total"] = 450000
    for person in lean["staff"]:
        person["fte"] = round(person["fte"] * 0.8, 3)
    return lean


@pytest.fixture(scope="module")
def solved() -> dict[str, Any]:
    """Scenarios (as dicts and models) and plans: cp-sat baseline, greedy, cp-sat on the lean variant."""
    example = json.loads(EXAMPLE.read_text())
    lean = _lean(example)
    scenarios = [example, example, lean]
    plans = [
        engine.solve(example, "cp-sat", time_limit=3, deterministic=True),
        engine.solve(example, "greedy"),
        engine.solve(lean, "cp-sat", time_limit=3, deterministic=True),
    ]
    models = [engine.parse_scenario(s) for s in scenarios]
    return {"dicts": scenarios, "models": models, "plans": plans}


@pytest.fixture(scope="module")
def comparison(solved) -> Comparison:
    return compare_plans(solved["plans"], solved["models"], ["cp-sat", "greedy", "lean"])


def _starts(plan: Plan) -> dict[str, int]:
    """Selected project id -> start period, straight from the plan's JSON."""
    raw = json.loads(plan.model_dump_json())
    return {p["id"]: p["start_period"] for p in raw["projects"] if p["selected"]}


def test_projects_are_classified_against_the_baseline_as_the_plans_list_them(solved, comparison):
    base = _starts(solved["plans"][0])
    for k, plan in enumerate(solved["plans"][1:], start=1):
        now = _starts(plan)
        moved = {i for i in base.keys() & now.keys() if base[i] != now[i]}
        summary = comparison.plans[k]
        assert set(summary.projects_in) == now.keys() - base.keys()
        assert set(summary.projects_out) == base.keys() - now.keys()
        assert set(summary.projects_moved) == moved
        for project in comparison.projects:
            entry = project.plans[k]
            expected = (
                "in"
                if project.id in now.keys() - base.keys()
                else "out"
                if project.id in base.keys() - now.keys()
                else "moved"
                if project.id in moved
                else "same"
            )
            assert entry.change == expected, project.id
            if project.id in base.keys() & now.keys():
                assert entry.shift_periods == now[project.id] - base[project.id]
            assert entry.selected == (project.id in now)
            assert entry.start_period == now.get(project.id)


def test_the_example_comparison_shows_every_kind_of_change(comparison):
    """Not a vacuous check: the solves differ by additions, drops and moves."""
    others = comparison.plans[1:]
    assert any(p.projects_in for p in others)
    assert any(p.projects_out for p in others)
    assert any(p.projects_moved for p in others)
    assert all(entry.change is None for project in comparison.projects for entry in project.plans[:1])


def test_every_project_of_every_plan_is_listed_once_in_baseline_order(solved, comparison):
    ids = [p.id for p in solved["plans"][0].projects]
    assert [p.id for p in comparison.projects] == ids
    assert all(len(p.plans) == 3 and all(e.listed for e in p.plans) for p in comparison.projects)


def test_utilisation_is_assigned_hours_over_the_capacity_of_the_skill_holders(solved, comparison):
    for k, (scenario, plan) in enumerate(zip(solved["dicts"], solved["plans"], strict=True)):
        ctx = oracle._make_ctx(scenario, json.loads(plan.model_dump_json()), 1e-6)
        periods = scenario["calendar"]["periods"]
        for use in comparison.plans[k].skills:
            holders = [s["id"] for s in scenario["staff"] if use.skill in s["skills"]]
            capacity = [sum(oracle._capacity(ctx, s, t) for s in holders) for t in range(periods)]
            hours = [0.0] * periods
            for row in plan.assignments:
                if row.skill == use.skill:
                    hours[row.period] += row.hours
            assert use.assigned_hours == pytest.approx(sum(hours), abs=1e-3)
            assert use.capacity_hours == pytest.approx(sum(capacity), abs=periods * len(holders) * 1e-3)
            assert use.utilisation == pytest.approx(sum(hours) / sum(capacity), abs=2e-4)
            assert use.assigned_hours_by_period == pytest.approx(hours, abs=1e-3)
            assert use.utilisation_by_period is not None
            for share, h, c in zip(use.utilisation_by_period, hours, capacity, strict=True):
                assert share == (pytest.approx(h / c, abs=2e-4) if c > 0 else None)
        assert comparison.plans[k].assigned_hours == pytest.approx(sum(r.hours for r in plan.assignments))


def test_the_leaner_scenario_has_less_capacity(comparison):
    full, lean = comparison.plans[0].skills, comparison.plans[2].skills
    for a, b in zip(full, lean, strict=True):
        assert a.capacity_hours is not None and b.capacity_hours is not None
        assert b.capacity_hours == pytest.approx(0.8 * a.capacity_hours, rel=1e-3)


def test_each_plans_headline_figures_are_its_own(solved, comparison):
    for plan, summary in zip(solved["plans"], comparison.plans, strict=True):
        assert (summary.status, summary.solver, summary.objective, summary.gap) == (
            plan.status,
            plan.solver,
            plan.objective,
            plan.gap,
        )
        assert (summary.value, summary.cost) == (plan.metrics.value, plan.metrics.cost)
        assert summary.selected == len(_starts(plan))
        assert summary.capacity_known


def test_without_scenarios_only_hours_are_known_and_the_comparison_says_so(solved):
    comparison = compare_plans(solved["plans"][:2])
    assert comparison.baseline == f"{solved['plans'][0].scenario} (cp-sat)"
    for summary in comparison.plans:
        assert not summary.capacity_known
        assert all(s.capacity_hours is None and s.utilisation is None for s in summary.skills)
        assert all(s.utilisation_by_period is None for s in summary.skills)
        assert summary.assigned_hours > 0
    assert any("no scenario given" in note for note in comparison.notes)


def test_one_scenario_serves_every_plan_made_from_it(solved):
    comparison = compare_plans(solved["plans"][:2], solved["models"][:1])
    assert all(p.capacity_known for p in comparison.plans)
    assert comparison.notes == []


def test_the_comparison_round_trips_through_json(comparison):
    text = json.dumps(comparison.model_dump(mode="json"))
    assert Comparison.model_validate(json.loads(text)) == comparison


def test_a_variant_may_add_a_project_and_the_comparison_reports_it(solved):
    example = solved["dicts"][0]
    bigger = copy.deepcopy(example)
    bigger["name"] = "example plus kiosk"
    phase = {"periods": 1, "demand": [{"skill": "pm", "hours": 1}]}
    bigger["projects"].append({"id": "kiosk", "value": 900000, "phases": [phase]})
    plan = engine.solve(bigger, "greedy")
    scenarios = [solved["models"][0], engine.parse_scenario(bigger)]
    comparison = compare_plans([solved["plans"][1], plan], scenarios)
    kiosk_row = next(p for p in comparison.projects if p.id == "kiosk")
    assert not kiosk_row.plans[0].listed and kiosk_row.plans[1].listed
    assert kiosk_row.plans[1].change == "in" and "kiosk" in comparison.plans[1].projects_in
    assert any("'kiosk' is not in the portfolio of" in note for note in comparison.notes)


def test_fewer_than_two_plans_is_an_error(solved):
    with pytest.raises(ScenarioError, match="at least two plans"):
        compare_plans(solved["plans"][:1])


def test_plans_of_different_portfolios_cannot_be_compared(solved):
    other = engine.solve(tiny(), "greedy")
    with pytest.raises(ScenarioError, match="no project in common"):
        compare_plans([solved["plans"][0], other])


def test_plans_on_different_calendars_cannot_be_compared(solved):
    later = copy.deepcopy(solved["dicts"][0])
    later["calendar"]["start"] = "2027-04-12"
    plan = engine.solve(later, "greedy")
    with pytest.raises(ScenarioError, match="different calendars"):
        compare_plans([solved["plans"][1], plan])


def test_a_plan_paired_with_another_scenario_is_an_error(solved):
    with pytest.raises(ScenarioError) as caught:
        compare_plans(solved["plans"], [solved["models"][0]])
    assert [p.path for p in caught.value.errors] == ["plans[2].scenario"]
    assert "was made for scenario 'example, lean'" in str(caught.value)


@pytest.mark.parametrize(
    ("scenarios", "names", "path"),
    [(2, None, "scenarios"), (0, ["a", "b"], "names"), (0, ["a", "a", "b"], "names[1]")],
)
def test_scenario_and_name_counts_are_checked(solved, scenarios, names, path):
    models: list[Scenario] = solved["models"][:scenarios]
    with pytest.raises(ScenarioError) as caught:
        compare_plans(solved["plans"], models, names)
    assert [p.path for p in caught.value.errors] == [path]


def capacity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def plan_files(solved, tmp_path):
    paths = []
    for name, plan in zip(["cpsat", "greedy", "lean"], solved["plans"], strict=True):
        write_plan(plan, tmp_path / f"{name}.json")
        paths.append(str(tmp_path / f"{name}.json"))
    lean = tmp_path / "lean-scenario.json"
    lean.write_text(json.dumps(solved["dicts"][2]))
    return paths, ["-s", str(EXAMPLE), "-s", str(EXAMPLE), "-s", str(lean)]


def test_cli_prints_the_comparison_tables(plan_files):
    paths, scenarios = plan_files
    run = capacity("compare", *paths, *scenarios)
    assert run.returncode == 0, run.stderr
    assert "Compared with the baseline 'cpsat'" in run.stdout
    for title in ("Plans", "Projects (against 'cpsat')", "Utilisation by skill"):
        assert title in run.stdout


def test_cli_writes_and_prints_the_json_comparison(plan_files, solved, tmp_path):
    paths, scenarios = plan_files
    out = tmp_path / "comparison.json"
    run = capacity("compare", *paths, *scenarios, "--json", "-o", str(out))
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert printed == json.loads(out.read_text())
    expected = compare_plans(solved["plans"], solved["models"], ["cpsat", "greedy", "lean"])
    assert printed == expected.model_dump(mode="json")


def test_cli_without_scenarios_still_compares(plan_files):
    paths, _ = plan_files
    run = capacity("compare", *paths[:2])
    assert run.returncode == 0, run.stderr
    assert "no scenario given" in run.stdout


def test_cli_one_plan_is_a_clear_error(plan_files):
    paths, _ = plan_files
    run = capacity("compare", paths[0])
    assert run.returncode == 2
    assert "give at least two plans to compare" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


@pytest.mark.parametrize("content", ['{"status": "maybe"', '{"status": "maybe"}', "[]"])
def test_cli_malformed_plan_file_names_the_file(plan_files, tmp_path, content):
    paths, _ = plan_files
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    run = capacity("compare", paths[0], str(bad), str(tmp_path / "missing.json"))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    assert str(bad) in run.stderr
    assert f"{tmp_path / 'missing.json'}: cannot read the file" in run.stderr
