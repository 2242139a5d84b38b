"""Validation reports every problem at once, each with a path and a plain sentence."""

import pytest

from engine.errors import ScenarioError
from engine.io import parse_text
from engine.validation import parse_scenario, validate
from tests.conftest import tiny


def problems(data) -> dict[str, str]:
    _, found = validate(data)
    return {p.path: f"{p.severity}: {p.message}" for p in found}


def one_project(**fields) -> dict:
    project = {"id": "p", "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 1}]}], **fields}
    return tiny(projects=[project])


def test_clean_scenario_has_no_problems(example):
    scenario, found = validate(example)
    assert scenario is not None and found == []


def test_every_problem_is_reported_in_one_pass():
    data = tiny()
    data["staff"][0]["skills"]["bz"] = 2
    data["staff"][1]["fte"] = -1
    data["projects"][0]["phases"][0]["demand"][0]["skill"] = "qa"
    data["projects"][1]["depends_on"] = ["ghost"]
    found = problems(data)
    assert found == {
        "staff[0].skills.bz": "error: unknown skill 'bz'",
        "staff[1].fte": "error: must be at least 0.0, not -1",
        "projects[0].phases[0].demand[0].skill": "error: unknown skill 'qa'",
        "projects[1].depends_on[0]": "error: unknown project 'ghost'",
    }


def test_duplicate_ids_name_both_places():
    data = tiny()
    data["projects"].append(data["projects"][0])
    data["skills"].append({"id": "ba"})
    found = problems(data)
    assert found["projects[2].id"] == "error: duplicate id 'p1' (also projects[0])"
    assert found["skills[2].id"] == "error: duplicate id 'ba' (also skills[0])"


def test_dependency_cycle_is_named():
    data = tiny()
    data["projects"][0]["depends_on"] = ["p2"]
    data["projects"][1]["depends_on"] = [{"project": "p1", "lag": 1}]
    assert problems(data) == {"projects[0].depends_on": "error: dependency cycle: p1 -> p2 -> p1"}


def test_self_dependency():
    assert problems(one_project(depends_on=["p"])) == {
        "projects[0].depends_on[0]": "error: 'p' cannot depend on itself"
    }


@pytest.mark.parametrize(
    ("phases", "path", "message"),
    [
        ([], "projects[0].phases", "error: must not be empty"),
        ([{"periods": 0}], "projects[0].phases[0].periods", "error: must be at least 1, not 0"),
        (
            [{"periods": 1, "demand": [{"skill": "ba", "hours": -2}]}],
            "projects[0].phases[0].demand[0].hours",
            "error: must be at least 0.0, not -2",
        ),
        (
            [{"periods": 1, "demand": [{"skill": "ba"}]}],
            "projects[0].phases[0].demand[0]",
            "error: give exactly one of 'fte' or 'hours'",
        ),
        (
            [{"periods": 1, "demand": [{"skill": "ba", "fte": 1, "min_level": 6}]}],
            "projects[0].phases[0].demand[0].min_level",
            "error: must be at most 5, not 6",
        ),
        ([{"periods": 1, "demand": []}], "projects[0].phases[0].demand", "warning: phase has no demand"),
    ],
)
def test_phase_problems(phases, path, message):
    assert problems(one_project(phases=phases)) == {path: message}


def test_negative_value_cost_and_levels_out_of_range():
    data = one_project(value=-1, cost=-2)
    data["staff"][0]["skills"]["ba"] = 0
    found = problems(data)
    assert found["projects[0].value"] == "error: must be at least 0.0, not -1"
    assert found["projects[0].cost"] == "error: must be at least 0.0, not -2"
    assert found["staff[0].skills.ba"] == "error: must be at least 1, not 0"


def test_fte_by_period_of_the_wrong_length():
    data = tiny()
    data["staff"][0]["fte_by_period"] = [1.0, 1.0]
    assert problems(data) == {"staff[0].fte_by_period": "error: has 2 values but the calendar has 6 periods"}


def test_window_that_cannot_hold_the_project():
    found = problems(one_project(earliest_start=2, latest_finish="2027-04-19"))  # periods 2..2
    assert found == {"projects[0]": "error: 'p' runs 2 periods but its window holds only 1 (periods 2 to 2)"}


def test_project_longer_than_the_horizon():
    found = problems(one_project(phases=[{"periods": 7, "demand": [{"skill": "ba", "hours": 1}]}]))
    assert found == {"projects[0]": "error: 'p' runs 7 periods but its window holds only 6 (periods 0 to 5)"}


def test_fixed_start_outside_window():
    found = problems(one_project(start=1, earliest_start=2))
    assert "outside the window" in found["projects[0].start"]


def test_dates_before_and_after_the_horizon():
    found = problems(one_project(earliest_start="2027-01-01", latest_finish=99))
    assert found["projects[0].earliest_start"].startswith(
        "error: date 2027-01-01 is before the calendar starts"
    )
    assert found["projects[0].latest_finish"].startswith("error: period 99 is after the horizon ends")


def test_mandatory_project_depending_on_one_that_cannot_be_planned():
    data = tiny()
    data["staff"][0]["skills"]["ba"] = 2
    data["projects"][0]["phases"][0]["demand"][0]["min_level"] = 3  # nobody has ba 3
    data["projects"][1]["depends_on"] = ["p1"]
    data["projects"][1]["mandatory"] = True
    found = problems(data)
    assert (
        found["projects[0]"]
        == "warning: 'p1' can never be selected: nobody has skill 'ba' at level 3 or above"
    )
    assert found["projects[1]"] == (
        "error: mandatory project 'p2' cannot be planned: it depends on 'p1', which can never be planned"
    )


def test_dependency_chain_too_long_for_a_mandatory_deadline():
    data = tiny()
    data["projects"][1]["depends_on"] = [{"project": "p1", "lag": 2}]
    data["projects"][1]["latest_finish"] = 5
    data["projects"][1]["mandatory"] = True  # p1 finishes at 2, + lag 2 = 4, + 3 periods = 7 > 6
    assert "finish at period 4 at the earliest" in problems(data)["projects[1]"]


def test_unknown_fields_are_warnings_and_unknown_drivers_errors():
    found = problems(one_project(scores={"safety": 3}) | {"colour": "blue"})
    assert found["colour"] == "warning: unknown field 'colour' is ignored"
    assert found["projects[0].scores.safety"] == "error: unknown driver 'safety'"


def test_missing_calendar_and_non_object_input():
    data = tiny()
    del data["calendar"]
    assert problems(data) == {"calendar": "error: is required"}
    assert problems([1, 2])[""].startswith("error: a scenario must be an object")


def test_parse_scenario_raises_one_error_carrying_all_problems():
    data = tiny()
    data["projects"][0]["value"] = -1
    data["projects"][1]["depends_on"] = ["ghost"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert [p.path for p in caught.value.errors] == ["projects[0].value", "projects[1].depends_on[0]"]


def test_malformed_json_and_yaml_report_line_and_column():
    with pytest.raises(ScenarioError) as caught:
        parse_text('{"a": 1,\n  "b": }', source="s.json", yaml_ok=False)
    assert caught.value.problems[0].path == "s.json:2:8"
    with pytest.raises(ScenarioError) as caught:
        parse_text("a: [1, 2\nb: 3\n", source="s.yaml")
    assert caught.value.problems[0].path.startswith("s.yaml:2:")


def test_yaml_scenarios_are_accepted():
    text = """
calendar: {start: 2027-04-05, periods: 4}
skills: [{id: ba}]
staff: [{id: ann, skills: {ba: 2}}]
projects:
  - id: p
    start: 2027-04-12
    phases: [{periods: 2, demand: [{skill: ba, fte: 0.5}]}]
"""
    scenario = parse_scenario(parse_text(text))
    assert scenario.projects[0].start.isoformat() == "2027-04-12"


def test_fixed_start_before_its_predecessor_can_finish():
    data = tiny()
    data["projects"][1]["depends_on"] = ["p1"]
    data["projects"][1]["start"] = 1  # p1 runs 2 periods from period 0 at the earliest
    assert "after its fixed start" in problems(data)["projects[1]"]
