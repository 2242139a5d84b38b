"""The independent oracle: accepts a hand-checked valid plan and catches each violation."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from tests.oracle import Calendar, check, recompute_objective

Json = dict[str, Any]


def scenario(**policy: Any) -> Json:
    """Two weeks of alpha (30 h dev at level 3) then, one week after, beta (20 h dev)."""
    return {
        "name": "oracle-tiny",
        "calendar": {"start": "2027-04-05", "period": "week", "periods": 8, "fte_hours": 40},
        "skills": [{"id": "dev"}, {"id": "pm"}],
        "staff": [
            {"id": "ann", "fte": 1.0, "skills": {"dev": 4, "pm": 2}, "cost_per_hour": 50},
            {"id": "bob", "fte": 0.5, "skills": {"dev": 2}, "cost_per_hour": 40},
        ],
        "projects": [
            {
                "id": "alpha",
                "value": 100,
                "cost": 10,
                "phases": [{"periods": 2, "demand": [{"skill": "dev", "hours": 30, "min_level": 3}]}],
            },
            {
                "id": "beta",
                "value": 50,
                "cost": 5,
                "depends_on": [{"project": "alpha", "lag": 1}],
                "phases": [{"periods": 1, "demand": [{"skill": "dev", "fte": 0.5}]}],
            },
        ],
        "policy": {"objective": "value", **policy},
    }


def plan() -> Json:
    """The valid plan for ``scenario()``: alpha weeks 0-1 by ann, beta week 3 by bob."""
    return {
        "scenario": "oracle-tiny",
        "status": "optimal",
        "objective": 150,
        "projects": [
            {
                "id": "alpha",
                "selected": True,
                "start_period": 0,
                "finish_period": 2,
                "start": "2027-04-05",
                "finish": "2027-04-18",
            },
            {
                "id": "beta",
                "selected": True,
                "start_period": 3,
                "finish_period": 4,
                "start": "2027-04-26",
                "finish": "2027-05-02",
            },
        ],
        "assignments": [
            {"staff": "ann", "project": "alpha", "skill": "dev", "period": 0, "hours": 30.0},
            {"staff": "ann", "project": "alpha", "skill": "dev", "period": 1, "hours": 30.0},
            {"staff": "bob", "project": "beta", "skill": "dev", "period": 3, "hours": 20.0},
        ],
        "metrics": {"selected": 2},
    }


def entry(p: Json, pid: str) -> Json:
    return next(e for e in p["projects"] if e["id"] == pid)


def project(s: Json, pid: str) -> Json:
    return next(e for e in s["projects"] if e["id"] == pid)


def move(p: Json, pid: str, start: int, finish: int) -> None:
    """Reschedule a plan entry (dropping its date strings) and its rows by the same shift."""
    e = entry(p, pid)
    shift = start - e["start_period"]
    e.update(start_period=start, finish_period=finish)
    e.pop("start", None)
    e.pop("finish", None)
    for row in p["assignments"]:
        if row["project"] == pid:
            row["period"] += shift


def exclude(p: Json, pid: str) -> None:
    """Deselect a project with a proper explanation and drop its rows."""
    p["projects"] = [e for e in p["projects"] if e["id"] != pid]
    explanation = {"code": "value", "text": "not worth it"}
    p["projects"].append({"id": pid, "selected": False, "explanation": explanation})
    p["assignments"] = [r for r in p["assignments"] if r["project"] != pid]


def flags(s: Json, p: Json, fragment: str) -> list[str]:
    """Assert some violation mentions ``fragment``; return them all for further checks."""
    errors = check(s, p)
    assert any(fragment in e for e in errors), errors
    return errors


# --------------------------------------------------------------------------- valid plans


def test_hand_built_valid_plan_passes():
    assert check(scenario(), plan()) == []
    assert recompute_objective(scenario(), plan()) == 150


def test_hundredth_of_an_hour_rounding_is_allowed():
    p = plan()
    p["assignments"][2]["hours"] = 20.004
    assert check(scenario(), p) == []


# --------------------------------------------------------------------------- capacity


def test_over_allocated_person_is_caught():
    p = plan()
    p["assignments"][2]["hours"] = 25.0
    errors = flags(scenario(), p, "staff 'bob' over capacity in period 3")
    assert any("25.00 h assigned > 20.00 h available" in e for e in errors)


def test_max_utilisation_scales_capacity():
    flags(scenario(max_utilisation=0.5), plan(), "20.00 h assigned > 10.00 h available")


def test_fte_by_period_overrides_fte():
    s = scenario()
    s["staff"][1]["fte_by_period"] = [0.5, 0.5, 0.5, 0.25, 0.5, 0.5, 0.5, 0.5]
    flags(s, plan(), "20.00 h assigned > 10.00 h available")


def test_leave_reduces_capacity_pro_rata_counting_overlaps_once():
    s = scenario()
    # Wed-Fri and Thu-Sun overlap: 3 of week 0's 5 working days are leave -> 40 * 2/5 = 16 h.
    s["staff"][0]["leave"] = [
        {"from": "2027-04-07", "to": "2027-04-09"},
        {"from": "2027-04-08", "to": "2027-04-11"},
    ]
    errors = flags(s, plan(), "staff 'ann' over capacity in period 0: 30.00 h assigned > 16.00 h")
    assert not any("period 1" in e for e in errors)


def test_leave_on_weekends_only_changes_nothing():
    s = scenario()
    s["staff"][0]["leave"] = [{"from": "2027-04-10", "to": "2027-04-11"}]
    assert check(s, plan()) == []


# --------------------------------------------------------------------------- demand and rows


def test_unmet_demand_is_caught():
    p = plan()
    p["assignments"][0]["hours"] = 29.0
    flags(scenario(), p, "project 'alpha' demand unmet in period 0 for 'dev'")


def test_level_too_low_is_caught():
    p = plan()
    p["assignments"][0]["hours"] = 15.0
    p["assignments"].append({"staff": "bob", "project": "alpha", "skill": "dev", "period": 0, "hours": 15.0})
    errors = flags(scenario(), p, "level 2 below every min_level needed (3)")
    assert any("demand unmet in period 0 for 'dev' at level >= 3" in e for e in errors)


def mixed_levels() -> tuple[Json, Json]:
    """Alpha needs 15 h dev at level 3 plus 15 h dev at any level, for one week."""
    s = scenario()
    project(s, "alpha")["phases"] = [
        {
            "periods": 2,
            "demand": [
                {"skill": "dev", "hours": 15, "min_level": 3},
                {"skill": "dev", "hours": 15},
            ],
        }
    ]
    p = plan()
    p["assignments"][:2] = [
        {"staff": who, "project": "alpha", "skill": "dev", "period": t, "hours": 15.0}
        for t in (0, 1)
        for who in ("ann", "bob")
    ]
    return s, p


def test_mixed_levels_are_checked_by_nested_thresholds():
    s, p = mixed_levels()
    assert check(s, p) == []
    # bob 20 h + ann 10 h is 30 h in total, but only 10 h at level >= 3.
    p["assignments"][0]["hours"], p["assignments"][1]["hours"] = 10.0, 20.0
    flags(s, p, "for 'dev' at level >= 3: 10.00 h assigned < 15.00 h needed")


def test_person_without_the_skill_is_caught():
    s = scenario()
    s["staff"].append({"id": "cat", "fte": 1.0, "skills": {"pm": 3}})
    p = plan()
    p["assignments"].append({"staff": "cat", "project": "alpha", "skill": "dev", "period": 0, "hours": 1.0})
    flags(s, p, "'cat' lacks skill 'dev'")


def test_rows_outside_active_periods_or_unneeded_skill_are_caught():
    p = plan()
    p["assignments"] += [
        {"staff": "ann", "project": "alpha", "skill": "dev", "period": 2, "hours": 1.0},
        {"staff": "ann", "project": "alpha", "skill": "pm", "period": 0, "hours": 1.0},
    ]
    flags(scenario(), p, "(ann, alpha, dev, period 2): project not selected and active")
    flags(scenario(), p, "project needs no 'pm' in that period")


def test_unknown_ids_zero_hours_and_duplicate_rows_are_caught():
    p = plan()
    p["assignments"] += [
        {"staff": "zed", "project": "alpha", "skill": "dev", "period": 0, "hours": 1.0},
        {"staff": "ann", "project": "alpha", "skill": "dev", "period": 1, "hours": 0.0},
    ]
    errors = flags(scenario(), p, "names unknown staff 'zed'")
    assert any("non-positive hours" in e for e in errors)
    assert any("duplicates an earlier row" in e for e in errors)


# --------------------------------------------------------------------------- schedule


def test_broken_lag_is_caught():
    p = plan()
    move(p, "beta", 2, 3)
    flags(scenario(), p, "'beta' starts in period 2 before predecessor 'alpha' finish 2 + lag 1")


def test_plain_string_dependency_has_no_lag():
    s = scenario()
    project(s, "beta")["depends_on"] = ["alpha"]
    p = plan()
    move(p, "beta", 2, 3)
    assert check(s, p) == []
    move(p, "beta", 1, 2)
    flags(s, p, "before predecessor 'alpha' finish 2 + lag 0")


def test_unselected_predecessor_is_caught():
    p = plan()
    exclude(p, "alpha")
    p["objective"] = 50
    p["metrics"]["selected"] = 1
    flags(scenario(), p, "'beta' selected but predecessor 'alpha' is not")


def test_earliest_start_is_enforced():
    s = scenario()
    project(s, "beta")["earliest_start"] = "2027-05-03"  # a Monday: period 4
    flags(s, plan(), "'beta' starts in period 3 < earliest 4")


def test_deadline_is_inclusive_of_its_period():
    s = scenario()
    project(s, "alpha")["latest_finish"] = "2027-04-12"  # period 1: finish 2 allowed
    assert check(s, plan()) == []
    project(s, "alpha")["latest_finish"] = "2027-04-11"  # period 0: finish 1 at most
    flags(s, plan(), "'alpha' misses its deadline: finish_period 2 > 1")


def test_horizon_and_length_are_enforced():
    s = scenario()
    s["calendar"]["periods"] = 3
    errors = flags(s, plan(), "'beta' finishes at 4 past horizon 3")
    assert any("outside the horizon" in e for e in errors)
    p = plan()
    entry(p, "alpha")["finish_period"] = 3
    entry(p, "alpha").pop("finish")
    flags(scenario(), p, "'alpha' finish_period 3 != start 0 + length 2")


def test_fixed_start_moved_or_dropped_is_caught():
    s = scenario()
    project(s, "alpha")["start"] = 1
    flags(s, plan(), "fixed project 'alpha' moved: starts 0, fixed at 1")
    project(s, "alpha")["start"] = "2027-04-05"  # a date means its period: 0
    assert check(s, plan()) == []
    p = plan()
    exclude(p, "alpha")
    flags(s, p, "fixed-start project 'alpha' is not selected")


def test_mandatory_missing_is_caught():
    s = scenario()
    project(s, "beta")["mandatory"] = True
    p = plan()
    exclude(p, "beta")
    p["objective"] = 100
    p["metrics"]["selected"] = 1
    errors = flags(s, p, "mandatory project 'beta' is not selected")
    assert len(errors) == 1


def test_excluded_project_needs_code_and_text():
    p = plan()
    exclude(p, "beta")
    p["objective"], p["metrics"]["selected"] = 100, 1
    assert check(scenario(), p) == []
    entry(p, "beta")["explanation"] = {"code": "budget"}
    flags(scenario(), p, "excluded project 'beta' lacks an explanation")


def test_wrong_date_strings_are_caught():
    p = plan()
    entry(p, "beta")["finish"] = "2027-05-03"
    flags(scenario(), p, "'beta' finish '2027-05-03' != '2027-05-02'")


# --------------------------------------------------------------------------- coverage


def test_missing_duplicated_and_unknown_projects_are_caught():
    p = plan()
    p["projects"].append(copy.deepcopy(entry(p, "alpha")))
    p["projects"].append({"id": "ghost", "selected": False})
    flags(scenario(), p, "project 'alpha' appears 2 times")
    flags(scenario(), p, "unknown project id 'ghost'")
    p = plan()
    p["projects"] = [entry(p, "alpha")]
    flags(scenario(), p, "project 'beta' missing from plan.projects")


def test_infeasible_plan_needs_conflicts_and_full_coverage():
    p: Json = {"status": "infeasible", "projects": [{"id": "alpha", "selected": False}]}
    errors = flags(scenario(), p, "infeasible plan has no conflicts listed")
    assert any("'beta' missing" in e for e in errors)
    p["projects"].append({"id": "beta", "selected": False})
    p["conflicts"] = [{"projects": ["alpha"], "skill": "dev", "periods": [0], "text": "short"}]
    assert check(scenario(), p) == []


def test_metrics_selected_must_match():
    p = plan()
    p["metrics"]["selected"] = 3
    flags(scenario(), p, "metrics.selected 3 != 2 selected")


# --------------------------------------------------------------------------- budget


@pytest.mark.parametrize(
    ("budget", "fragment"),
    [
        ({"total": 15}, None),
        ({"total": 14.99}, "budget exceeded: 15.00 > 14.99"),
        # labour: 60 h * 50 + 20 h * 40 = 3800 on top of the 15 of project cost
        ({"total": 3815, "include_labour": True}, None),
        ({"total": 3814, "include_labour": True}, "budget exceeded: 3815.00 > 3814"),
        # alpha's 10 spreads 5 + 5 over weeks 0-1; beta's 5 falls in week 3
        ({"by_period": [5, 5, 0, 5]}, None),
        ({"by_period": [5, 4, 0, 5]}, "budget exceeded in period 1: 5.00 > 4"),
        ({"by_period": [5, 5, 0, 805], "include_labour": True}, "period 0: 1505.00 > 5"),
    ],
)
def test_budget_caps(budget: Json, fragment: str | None):
    s = scenario(budget=budget)
    if fragment is None:
        assert check(s, plan()) == []
    else:
        flags(s, plan(), fragment)


def test_budget_by_financial_year_uses_each_period_first_day():
    s = scenario()
    s["calendar"]["start"] = "2027-03-22"  # weeks 0-1 start in March: financial year 2026
    p = plan()
    for e in p["projects"]:
        e.pop("start")
        e.pop("finish")
    s["policy"]["budget"] = {"by_year": {"2026": 10, "2027": 5}}
    assert check(s, p) == []
    s["policy"]["budget"] = {"by_year": {"2026": 9.5}}
    flags(s, p, "budget exceeded in financial year 2026: 10.00 > 9.5")
    s["calendar"]["year_start"] = "01-01"  # now every week is in 2027
    s["policy"]["budget"] = {"by_year": {"2026": 0, "2027": 14}}
    flags(s, p, "financial year 2027: 15.00 > 14")


# --------------------------------------------------------------------------- objective


def test_wrong_objective_is_caught():
    p = plan()
    p["objective"] = 151
    flags(scenario(), p, "plan objective 151 != recomputed 150.0")


def test_value_objective_subtracts_cost_of_delay():
    s = scenario()
    project(s, "beta")["cost_of_delay"] = 10
    project(s, "beta")["earliest_start"] = 1
    assert recompute_objective(s, plan()) == 100 + 50 - 10 * (3 - 1)
    p = plan()
    p["objective"] = 130
    assert check(s, p) == []


def test_priority_objective_computes_missing_priorities_from_drivers():
    s = scenario(objective="priority")
    s["drivers"] = [{"id": "safety", "weight": 0.6}, {"id": "finance", "weight": 0.4}]
    project(s, "alpha")["priority"] = 80
    project(s, "beta")["scores"] = {"safety": 5}  # finance missing = 0: 20 * 3 / 1 = 60
    assert recompute_objective(s, plan()) == pytest.approx(140)
    s["drivers"] = []
    assert recompute_objective(s, plan()) == 80


def test_makespan_objective_requires_every_project():
    s = scenario(objective="makespan")
    p = plan()
    p["objective"] = 4
    assert check(s, p) == []
    exclude(p, "beta")
    p["objective"], p["metrics"]["selected"] = 2, 1
    flags(s, p, "objective makespan but project 'beta' is not selected")


# --------------------------------------------------------------------------- month calendar


def month_scenario() -> Json:
    s = scenario()
    s["calendar"] = {"start": "2027-01-31", "period": "month", "periods": 6, "fte_hours": 40}
    s["projects"] = [
        {"id": "gamma", "value": 10, "phases": [{"periods": 1, "demand": []}]},
    ]
    return s


def month_plan() -> Json:
    gamma = {
        "id": "gamma",
        "selected": True,
        "start_period": 1,
        "finish_period": 2,
        "start": "2027-02-28",
        "finish": "2027-03-30",
    }
    return {"status": "feasible", "objective": 10, "projects": [gamma], "assignments": []}


def test_month_periods_step_from_the_original_start_with_clamping():
    cal = Calendar(month_scenario()["calendar"])
    starts = [cal.period_start(t) for t in range(4)]
    assert starts == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert cal.period_of(date(2027, 3, 30)) == 1
    assert cal.period_of(date(2027, 3, 31)) == 2
    assert cal.period_of(date(2027, 1, 30)) == -1


def test_month_calendar_boundaries_in_plans():
    s, p = month_scenario(), month_plan()
    assert check(s, p) == []
    p["projects"][0]["finish"] = "2027-03-31"
    flags(s, p, "'gamma' finish '2027-03-31' != '2027-03-30'")
    project(s, "gamma")["latest_finish"] = "2027-03-30"  # still period 1
    assert check(s, month_plan()) == []
    project(s, "gamma")["latest_finish"] = "2027-02-27"  # period 0
    flags(s, month_plan(), "misses its deadline: finish_period 2 > 1")


def test_month_leave_share_uses_that_months_working_days():
    s = month_scenario()
    project(s, "gamma")["phases"][0]["demand"] = [{"skill": "dev", "hours": 20}]
    # Period 1 is Sun 28 Feb - Tue 30 Mar: 22 working days; 1-11 Mar holds 9 of them.
    s["staff"][0]["leave"] = [{"from": "2027-03-01", "to": "2027-03-11"}]
    p = month_plan()
    row = {"staff": "ann", "project": "gamma", "skill": "dev", "period": 1, "hours": 23.64}
    p["assignments"] = [row]
    assert check(s, p) == []  # 40 * 13/22 = 23.636 h, within rounding
    row["hours"] = 23.7
    flags(s, p, "staff 'ann' over capacity in period 1: 23.70 h assigned > 23.64 h available")
