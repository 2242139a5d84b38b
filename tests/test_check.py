"""The plan checker accepts valid plans and names every broken rule precisely."""

import pytest

from engine import check_plan, parse_scenario, solve
from engine.plan import Assignment, Plan


@pytest.fixture
def scenario(example):
    return parse_scenario(example)


@pytest.fixture
def plan(scenario) -> Plan:
    return solve(scenario, solver="greedy")


def messages(scenario, plan) -> list[str]:
    return [str(p) for p in check_plan(scenario, plan)]


def result(plan: Plan, project_id: str):
    return next(p for p in plan.projects if p.id == project_id)


def test_greedy_plan_is_valid(scenario, plan):
    assert plan.status == "feasible"
    assert messages(scenario, plan) == []


def test_over_allocated_person(scenario, plan):
    row = plan.assignments[0]
    plan.assignments.append(
        Assignment(staff=row.staff, project=row.project, skill=row.skill, period=row.period, hours=40)
    )
    found = messages(scenario, plan)
    assert any(f"'{row.staff}' is over capacity in period {row.period}" in m for m in found)


def test_unmet_demand(scenario, plan):
    row = plan.assignments.pop(0)
    found = messages(scenario, plan)
    assert any(f"'{row.project}' gets" in m and f"in period {row.period}, needs" in m for m in found)


def test_work_below_the_required_level(scenario, plan):
    # epr-upgrade's first phase needs ba at level 3; Amir has ba 2.
    rows = [a for a in plan.assignments if a.project == "epr-upgrade" and a.skill == "ba" and a.period == 0]
    for a in rows:
        a.staff = "amir"
    found = messages(scenario, plan)
    assert any("of ba at level 3+ in period 0" in m for m in found)


def test_broken_dependency(scenario, plan):
    pacs = result(plan, "pacs")
    pacs.start_period, pacs.finish_period = 2, 14
    pacs.start = pacs.finish = None
    found = messages(scenario, plan)
    assert any(
        "'pacs' starts in period 2, before 'network' finishes (period 6) plus lag 0" in m for m in found
    )
    assert any("before its earliest start (period 9)" in m for m in found)


def test_wrong_objective(scenario, plan):
    plan.objective = (plan.objective or 0) + 1
    assert any(m.startswith("objective: is") for m in messages(scenario, plan))


def test_missing_mandatory_project(scenario, plan):
    epr = result(plan, "epr-upgrade")
    epr.selected, epr.start_period, epr.finish_period = False, None, None
    found = messages(scenario, plan)
    assert any("'epr-upgrade' must be in the plan but is not" in m for m in found)


def test_project_listed_twice_or_missing(scenario, plan):
    plan.projects.append(plan.projects[0])
    dropped = plan.projects.pop(1)
    found = messages(scenario, plan)
    assert f"projects: project '{dropped.id}' is missing from the plan" in found
    assert any("is listed twice" in m for m in found)


def test_budget_exceeded(scenario, plan):
    scenario.policy.budget.total = 100_000
    assert any(m.startswith("policy.budget.total: plan spends") for m in messages(scenario, plan))


def test_assignment_to_inactive_project_period(scenario, plan):
    row = plan.assignments[0]
    plan.assignments.append(
        Assignment(staff=row.staff, project=row.project, skill=row.skill, period=25, hours=1)
    )
    assert any(
        f"'{row.project}' is not selected and active in period 25" in m for m in messages(scenario, plan)
    )


def test_wrong_start_date(scenario, plan):
    import datetime as dt

    result(plan, "pacs").start = dt.date(2027, 6, 8)
    assert any("is not the first day of period" in m for m in messages(scenario, plan))
