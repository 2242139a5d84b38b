"""Normalisation to solver arrays, checked against hand-computed figures."""

import numpy as np
import pytest

from engine.problem import UNITS_PER_HOUR, build, priority_of, to_units
from engine.validation import parse_scenario
from tests.conftest import tiny


def data_of(**overrides):
    return build(parse_scenario(tiny(**overrides)))


def hours(units) -> list[float]:
    return (np.asarray(units) / UNITS_PER_HOUR).tolist()


def test_capacity_is_fte_times_hours_times_ceiling():
    d = data_of(policy={"max_utilisation": 0.8})
    assert hours(d.capacity[0]) == [8.0] * 6  # 1.0 * 10 h * 0.8
    assert hours(d.capacity[1]) == [4.0] * 6


def test_leave_reduces_capacity_pro_rata_by_weekdays_across_periods():
    # Wed 7 Apr to Tue 13 Apr 2027: 3 weekdays in week 0, 2 in week 1; a weekend day is free.
    staff = [
        {"id": "ann", "fte": 1.0, "skills": {"ba": 1}, "leave": [{"from": "2027-04-07", "to": "2027-04-13"}]}
    ]
    d = data_of(staff=staff, projects=[])
    assert hours(d.capacity[0]) == [4.0, 6.0, 10.0, 10.0, 10.0, 10.0]


def test_overlapping_leave_counts_each_day_once():
    leave = [{"from": "2027-04-05", "to": "2027-04-07"}, {"from": "2027-04-06", "to": "2027-04-08"}]
    d = data_of(staff=[{"id": "ann", "skills": {"ba": 1}, "leave": leave}], projects=[])
    assert hours(d.capacity[0])[0] == 2.0  # Mon-Thu away, Friday in


def test_month_calendar_leave_share_uses_that_months_weekdays():
    # April 2027 has 22 weekdays; 11 days of leave is half the month.
    staff = [{"id": "ann", "skills": {"ba": 1}, "leave": [{"from": "2027-04-01", "to": "2027-04-15"}]}]
    d = data_of(
        calendar={"start": "2027-04-01", "period": "month", "periods": 3, "fte_hours": 150},
        staff=staff,
        projects=[],
    )
    assert hours(d.capacity[0]) == [75.0, 150.0, 150.0]


def test_fte_by_period_overrides_fte():
    staff = [{"id": "ann", "fte": 1.0, "skills": {"ba": 1}, "fte_by_period": [0, 0, 0.5, 0.5, 1, 1]}]
    d = data_of(staff=staff, projects=[])
    assert hours(d.capacity[0]) == [0.0, 0.0, 5.0, 5.0, 10.0, 10.0]


def test_pool_is_a_larger_person():
    staff = [{"id": "devs", "fte": 3.0, "skills": {"dev": 3}}]
    d = data_of(staff=staff, projects=[])
    assert hours(d.capacity[0]) == [30.0] * 6


def test_demand_classes_are_skill_and_level_and_fte_converts_to_hours():
    projects = [
        {
            "id": "p",
            "phases": [
                {
                    "periods": 1,
                    "demand": [{"skill": "ba", "fte": 0.3}, {"skill": "ba", "hours": 2, "min_level": 3}],
                },
                {"periods": 2, "demand": [{"skill": "dev", "hours": 1.25}]},
            ],
        }
    ]
    d = data_of(projects=projects)
    names = [d.class_name(int(c)) for c in d.project_classes[0]]
    assert names == ["ba", "ba (level 3+)", "dev"]
    assert d.dense_demand(0).tolist() == [[3000, 2000, 0], [0, 0, 1250], [0, 0, 1250]]


def test_rounding_is_conservative_demand_up_capacity_down():
    assert to_units(0.3 * 37.5, up=True) == 11250  # float noise does not add a unit
    assert to_units(1 / 3, up=True) == 334
    assert to_units(1 / 3, up=False) == 333


def test_staff_with_the_same_eligibility_are_grouped_and_mapped_back():
    staff = [
        {"id": "a", "skills": {"ba": 3}},
        {"id": "b", "fte": 0.5, "skills": {"ba": 4}},  # same classes served as 'a'
        {"id": "c", "skills": {"dev": 2}},
        {"id": "d", "skills": {}},  # serves nothing
    ]
    d = data_of(staff=staff)
    assert d.group_of[0] == d.group_of[1] != d.group_of[2]
    assert d.group_of[3] == -1
    g = d.group_of[0]
    assert hours(d.group_capacity[g]) == [15.0] * 6
    assert sorted(d.group_members[g].tolist()) == [0, 1]


def test_windows_in_periods_from_dates_and_numbers():
    projects = [
        {
            "id": "a",
            "earliest_start": "2027-04-14",
            "latest_finish": 4,
            "phases": [{"periods": 2, "demand": []}],
        },
        {"id": "b", "start": "2027-04-19", "phases": [{"periods": 1, "demand": []}]},
    ]
    d = data_of(projects=projects)
    assert (d.earliest.tolist(), d.latest.tolist()) == ([1, 2], [3, 2])
    assert d.fixed.tolist() == [False, True] and d.mandatory.tolist() == [False, True]


def test_predecessors_of_mandatory_projects_become_mandatory():
    projects = [
        {"id": "a", "phases": [{"periods": 1}]},
        {
            "id": "b",
            "mandatory": True,
            "depends_on": [{"project": "a", "lag": 1}],
            "phases": [{"periods": 1}],
        },
    ]
    d = data_of(projects=projects)
    assert d.mandatory.tolist() == [True, True]
    assert d.predecessors[1] == [(0, 1)]


def test_priority_from_drivers_when_not_given():
    scenario = parse_scenario(
        tiny(
            drivers=[{"id": "safety", "weight": 3}, {"id": "money", "weight": 1}],
            projects=[{"id": "p", "scores": {"safety": 5, "money": 1}, "phases": [{"periods": 1}]}],
        )
    )
    assert priority_of(scenario.projects[0], scenario) == pytest.approx(20 * (15 + 1) / 4)


def test_financial_year_caps_map_periods_to_years():
    d = data_of(
        calendar={"start": "2028-03-20", "periods": 4, "fte_hours": 10},
        policy={"budget": {"by_year": {"2027": 10, "2028": 20}}},
    )
    assert d.year_of_period.tolist() == [0, 0, 1, 1]
    assert d.year_caps == [("2027", 10), ("2028", 20)]
