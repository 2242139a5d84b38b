"""Validation reports every problem at once, each with a path and a plain sentence."""

import json

import pytest

import engine
from engine.errors import ScenarioError
from engine.io import load_scenario, parse_text
from engine.validation import parse_scenario, validate
from tests import oracle
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


# -- numbers the solvers cannot hold, dates past 9999: clear errors, never a crash ------------
def solvable(**fields) -> dict:
    """tiny() with a budget and drivers, so every number field has a place to go."""
    data = tiny(drivers=[{"id": "d", "weight": 1}], **fields)
    data["policy"]["budget"] = {"total": 1000, "by_period": [100] * 6, "by_year": {"2027": 1000}}
    data["projects"][0]["scores"] = {"d": 3}
    return data


NUMBER_FIELDS = [
    ("projects[0].phases[0].demand[0].hours", lambda d: d["projects"][0]["phases"][0]["demand"][0]),
    ("projects[1].phases[0].demand[0].fte", lambda d: d["projects"][1]["phases"][0]["demand"][0]),
    ("staff[0].fte", lambda d: d["staff"][0]),
    ("staff[0].cost_per_hour", lambda d: d["staff"][0]),
    ("projects[0].value", lambda d: d["projects"][0]),
    ("projects[0].cost", lambda d: d["projects"][0]),
    ("projects[0].priority", lambda d: d["projects"][0]),
    ("projects[0].cost_of_delay", lambda d: d["projects"][0]),
    ("projects[0].scores.d", lambda d: d["projects"][0]["scores"]),
    ("drivers[0].weight", lambda d: d["drivers"][0]),
    ("calendar.fte_hours", lambda d: d["calendar"]),
    ("policy.budget.total", lambda d: d["policy"]["budget"]),
    ("policy.budget.by_year.2027", lambda d: d["policy"]["budget"]["by_year"]),
    ("policy.time_limit_s", lambda d: d["policy"]),
    ("policy.relative_gap", lambda d: d["policy"]),
    ("policy.max_utilisation", lambda d: d["policy"]),
]


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")], ids=["inf", "-inf", "nan"])
@pytest.mark.parametrize(("path", "holder"), NUMBER_FIELDS, ids=[p for p, _ in NUMBER_FIELDS])
def test_every_number_must_be_finite(path, holder, bad):
    data = solvable()
    holder(data)[path.rsplit(".", 1)[1]] = bad
    assert problems(data) == {path: "error: must be a finite number"}


def test_non_finite_numbers_in_lists_are_named_by_position():
    data = solvable()
    data["staff"][0]["fte_by_period"] = [1, 1, float("nan"), 1, 1, 1]
    data["policy"]["budget"]["by_period"][4] = float("inf")
    assert problems(data) == {
        "staff[0].fte_by_period[2]": "error: must be a finite number",
        "policy.budget.by_period[4]": "error: must be a finite number",
    }


def test_infinity_and_nan_in_json_text_are_errors_not_crashes(tmp_path):
    # JSON readers take 1e999 as infinity and accept the NaN literal: neither is a number to plan with.
    text = json.dumps(tiny()).replace('"hours": 6', '"hours": 1e999').replace('"value": 50', '"value": NaN')
    assert "1e999" in text and "NaN" in text
    path = tmp_path / "s.json"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert [str(p) for p in caught.value.errors] == [
        "projects[0].phases[0].demand[0].hours: must be a finite number",
        "projects[1].value: must be a finite number",
    ]
    with pytest.raises(ScenarioError):
        engine.solve(parse_text(text), "greedy")


LIMITS = [
    ("projects[0].phases[0].demand[0].hours", 1e16, "must be at most 100,000,000, not 1e+16"),
    ("projects[1].phases[0].demand[0].fte", 200_000, "must be at most 100,000, not 200,000"),
    ("staff[0].fte", 1e300, "must be at most 100,000, not 1e+300"),
    ("staff[0].cost_per_hour", 2e9, "must be at most 1,000,000,000, not 2,000,000,000"),
    ("projects[0].value", 10**16, "must be at most 1,000,000,000,000,000, not 1e+16"),
    ("projects[0].cost", 1e300, "must be at most 1,000,000,000,000,000, not 1e+300"),
    ("projects[0].cost_of_delay", 10**400, "must be at most 1,000,000,000,000,000, not 1.000e+400"),
    ("projects[0].priority", 1e7, "must be at most 1,000,000, not 10,000,000"),
    ("drivers[0].weight", 1e308, "must be at most 1,000,000, not 1e+308"),
    ("calendar.fte_hours", 1e300, "must be at most 1,000, not 1e+300"),
    ("policy.budget.total", 1e300, "must be at most 1,000,000,000,000,000, not 1e+300"),
]


@pytest.mark.parametrize(("path", "value", "message"), LIMITS, ids=[p for p, _, _ in LIMITS])
def test_numbers_beyond_the_limits_name_the_limit(path, value, message):
    data = solvable()
    holder = dict(NUMBER_FIELDS)[path]
    holder(data)[path.rsplit(".", 1)[1]] = value
    assert problems(data) == {path: f"error: {message}"}


def test_huge_fte_by_period_and_lag_name_the_limit():
    data = solvable()
    data["staff"][1]["fte_by_period"] = [0.5, 0.5, 1e300, 0.5, 0.5, 0.5]
    data["projects"][1]["depends_on"] = [{"project": "p1", "lag": 10**12}]
    assert problems(data) == {
        "staff[1].fte_by_period[2]": "error: must be at most 100,000, not 1e+300",
        "projects[1].depends_on[0].lag": "error: must be at most 1000, not 1000000000000",
    }


def all_problems(data) -> list[str]:
    return [f"{p.severity} {p}" for p in validate(data)[1]]


def test_totals_beyond_what_the_solvers_hold_are_errors():
    # Each number within its own limit, but the sums the solvers keep as exact integers are not.
    data = tiny(calendar={"start": "2027-04-05", "periods": 1000, "fte_hours": 1000})
    data["staff"] = [{"id": f"pool{i}", "fte": 100_000, "skills": {"ba": 5, "dev": 5}} for i in range(11)]
    long = [{"periods": 1000, "demand": [{"skill": "ba", "hours": 1e8}, {"skill": "dev", "fte": 100_000}]}]
    data["projects"] = [
        {"id": f"p{j}", "value": 1e15, "cost_of_delay": 1e15, "phases": long} for j in range(6)
    ]
    assert all_problems(data) == [
        "error projects: their demand adds up to 1,200,000,000,000 hours, more than the "
        "1,000,000,000,000 the engine can plan",
        "error staff: their capacity adds up to 1,100,000,000,000 hours over the horizon, more than "
        "the 1,000,000,000,000 the engine can plan",
        "error projects: their value and cost of delay (over the 1000 periods) add up to 6.006e+18, "
        "more than the 1e+18 the engine can weigh",
    ]


def test_spending_beyond_what_a_budget_can_count_is_an_error():
    data = tiny()
    data["projects"][0]["cost"] = 6e12
    data["projects"][1]["cost"] = 3.99e12
    data["policy"]["budget"] = {"total": 1e12}
    assert problems(data) == {}
    data["policy"]["budget"]["include_labour"] = True  # 12 hours of ba and 15 of dev, at 1e9 an hour
    data["staff"][0]["cost_per_hour"] = 1e9
    assert problems(data) == {
        "policy.budget": "error: the projects' costs (with labour at the dearest qualified rate) add up "
        "to 10,017,000,000,000, more than the 10,000,000,000,000 a budget can be planned for"
    }
    data["policy"]["budget"] = None
    assert problems(data) == {}  # without a budget, cost is only reported


def test_a_calendar_running_past_the_last_date_is_an_error():
    data = tiny(calendar={"start": "9999-06-01", "period": "month", "periods": 12})
    assert problems(data) == {
        "calendar.periods": "error: 12 months from 9999-06-01 run past 9999-12-31, the last date there is"
    }
    data["calendar"] = {"start": "9999-12-01", "period": "week", "periods": 5}
    assert problems(data) == {
        "calendar.periods": "error: 5 weeks from 9999-12-01 run past 9999-12-31, the last date there is"
    }
    data["calendar"]["periods"] = 4  # ends 9999-12-28: fits
    assert "calendar.periods" not in problems(data)


def test_leave_for_good_is_clipped_to_the_horizon_and_plans():
    # "to": "9999-12-31" is a plausible way to say "never back"; with a second leave after it
    # (overlapping), merging the ranges must not step past the last date either.
    data = tiny()
    data["staff"][0]["leave"] = [
        {"from": "2027-04-19", "to": "9999-12-31"},
        {"from": "2027-05-03", "to": "2027-05-07"},
    ]
    assert problems(data) == {}
    plan = engine.solve(data, "greedy")
    assert plan.status == "feasible"
    assert oracle.check(data, plan.model_dump(mode="json")) == []
    ann = [row for row in plan.assignments if row.staff == "ann"]
    assert ann and all(row.period < 2 for row in ann)  # away from period 2 on
    assert engine.check_plan(parse_scenario(data), plan) == []
    assert engine.solve(data, "cp-sat", time_limit=5, deterministic=True).objective == plan.objective


@pytest.mark.parametrize("seed", [2**31, 2**70])
def test_seed_beyond_cpsats_32_bits_is_an_error(seed):
    found = problems(tiny(policy={"seed": seed}))
    assert found == {"policy.seed": f"error: must be at most 2147483647, not {seed}"}
    assert problems(tiny(policy={"seed": -1})) == {"policy.seed": "error: must be at least 0, not -1"}
    assert problems(tiny(policy={"seed": 2**31 - 1})) == {}


@pytest.mark.parametrize(
    ("path", "holder", "flag", "message"),
    [
        ("calendar.periods", lambda d: d["calendar"], True, "must be a whole number, not true"),
        (
            "projects[0].phases[0].periods",
            lambda d: d["projects"][0]["phases"][0],
            True,
            "must be a whole number, not true",
        ),
        ("staff[0].skills.ba", lambda d: d["staff"][0]["skills"], True, "must be a whole number, not true"),
        ("policy.seed", lambda d: d["policy"], False, "must be a whole number, not false"),
        (
            "projects[0].start",
            lambda d: d["projects"][0],
            False,
            "must be a period number or a date, not false",
        ),
        ("staff[1].fte", lambda d: d["staff"][1], True, "must be a number, not true"),
        ("projects[1].value", lambda d: d["projects"][1], True, "must be a number, not true"),
    ],
)
def test_true_and_false_are_not_numbers(path, holder, flag, message):
    data = tiny()
    holder(data)[path.rsplit(".", 1)[1]] = flag
    assert problems(data) == {path: f"error: {message}"}


def test_a_dependency_lag_of_false_is_not_zero():
    data = tiny()
    data["projects"][1]["depends_on"] = [{"project": "p1", "lag": False}]
    assert problems(data) == {"projects[1].depends_on[0].lag": "error: must be a whole number, not false"}


def test_whole_numbers_written_as_json_numbers_still_read():
    data = tiny()
    data["calendar"]["periods"] = 6.0  # a generator's float that is a whole number
    data["projects"][0]["phases"][0]["periods"] = 2.0
    assert problems(data) == {}


def test_financial_years_must_be_plain_digits():
    data = tiny(policy={"budget": {"by_year": {"²": 5, "2027": 100}}})
    message = 'error: financial years are named by their first calendar year, e.g. "2027"'
    assert problems(data) == {"policy.budget.by_year.²": message}
