"""Named-staff assignment: always succeeds after a feasible selection; prefers continuity."""

from collections import defaultdict

from hypothesis import HealthCheck, given, settings

from engine.problem import build
from engine.validation import validate
from solvers.assignment import assign
from solvers.portfolio import Portfolio
from tests.conftest import tiny
from tests.strategies import scenarios


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_any_group_feasible_selection_assigns_fully_to_people(raw):
    """The group aggregation is exact: if groups can serve it, people can."""
    scenario, _ = validate(raw)
    if scenario is None:
        return
    data = build(scenario)
    portfolio = Portfolio(data)
    for j in range(data.num_projects):  # every project at its earliest start that fits capacity
        first = portfolio.earliest_start(j)
        for s in range(first if first is not None else 10**6, int(data.latest[j]) + 1):
            flows = portfolio.capacity_flows(j, s)
            if flows is not None:
                portfolio.place(j, s, flows)
                break
    rows = assign(data, portfolio.starts)
    served = defaultdict(int)
    booked = defaultdict(int)
    for r in rows:
        booked[(r.staff, r.period)] += r.units
        served[(r.project, r.skill, r.period)] += r.units
    for (p, t), units in booked.items():
        assert units <= data.capacity[p, t]
    for j, s in portfolio.starts.items():
        dense = data.dense_demand(j)
        for r in range(int(data.length[j])):
            for skill in range(len(data.skill_ids)):
                need = sum(dense[r, c] for c, cls in enumerate(data.classes) if cls.skill == skill)
                assert served[(j, skill, s + r)] == need


def test_same_people_stay_on_a_project_across_periods():
    raw = tiny(
        staff=[{"id": f"s{i}", "fte": 1.0, "skills": {"ba": 2}} for i in range(4)],
        projects=[{"id": "p", "phases": [{"periods": 4, "demand": [{"skill": "ba", "hours": 15}]}]}],
    )
    scenario, _ = validate(raw)
    data = build(scenario)
    rows = assign(data, {0: 0})
    people = {r.staff for r in rows}
    assert len(people) == 2  # 15 h needs two 10-hour people, and the same two every week


def test_named_staff_before_pools_and_no_expert_wasted():
    raw = tiny(
        staff=[
            {"id": "pool", "fte": 5.0, "skills": {"ba": 2}},
            {"id": "ann", "fte": 1.0, "skills": {"ba": 2}},
            {"id": "eve", "fte": 1.0, "skills": {"ba": 5}},
        ],
        projects=[{"id": "p", "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 8}]}]}],
    )
    scenario, _ = validate(raw)
    rows = assign(build(scenario), {0: 0})
    assert [(r.staff, r.units) for r in rows] == [(1, 8000)]


def test_the_same_plan_always_gets_the_same_staff(example):
    """Assignment must not depend on the order a solver happened to list the projects in."""
    from engine import solve

    scenario, _ = validate(example)
    data = build(scenario)
    plan = solve(scenario, solver="greedy")
    starts = {data.project_ids.index(p.id): p.start_period for p in plan.projects if p.selected}
    backwards = dict(reversed(list(starts.items())))
    assert assign(data, starts) == assign(data, backwards)
