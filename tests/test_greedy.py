"""The greedy baseline: valid plans, sensible choices, honest failures."""

from hypothesis import HealthCheck, given, settings

from engine import check_plan, parse_scenario, solve
from engine.validation import validate
from tests import oracle
from tests.conftest import tiny
from tests.strategies import scenarios


def plan_dict(plan) -> dict:
    return plan.model_dump(mode="json")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_greedy_plan_passes_both_checkers(data):
    scenario, _ = validate(data)
    if scenario is None:  # e.g. a mandatory chain the random draw made impossible
        return
    plan = solve(scenario, solver="greedy")
    if plan.status in ("infeasible", "unknown"):
        assert plan.conflicts, "a plan without projects must say why"
        return
    assert oracle.check(data, plan_dict(plan)) == []
    assert check_plan(scenario, plan) == []


def test_multi_skilled_person_is_not_counted_twice():
    # Ann is the only person; she holds ba and dev. Two projects each need 8 h of a
    # different skill in the same week: a per-skill sum says both fit, a flow says one.
    data = tiny(
        staff=[{"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}}],
        projects=[
            {
                "id": "a",
                "value": 10,
                "latest_finish": 0,
                "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 8}]}],
            },
            {
                "id": "b",
                "value": 5,
                "latest_finish": 0,
                "phases": [{"periods": 1, "demand": [{"skill": "dev", "hours": 8}]}],
            },
        ],
    )
    plan = solve(data, solver="greedy")
    assert [p.id for p in plan.projects if p.selected] == ["a"]
    why = plan.projects[1].explanation
    assert why.code == "displaced" and why.displaced_by == ["a"]  # b fits alone; a took Ann's week
    assert why.skill == "dev"  # what b lacks, not what a uses


def test_displaced_names_only_projects_that_take_the_people_it_lacks():
    # Ann (ba, dev) is taken by 'a'; Bob (pm only) by 'c', worth more. 'b' needs dev, which only
    # Ann has: 'a' displaces it, 'c' does not, whatever its value.
    one_week = {"value": 10, "latest_finish": 0}
    data = tiny(
        skills=[{"id": "ba"}, {"id": "dev"}, {"id": "pm"}],
        staff=[
            {"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}},
            {"id": "bob", "fte": 1.0, "skills": {"pm": 3}},
        ],
        projects=[
            {"id": "a", **one_week, "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 8}]}]},
            {
                "id": "b",
                **one_week,
                "value": 5,
                "phases": [{"periods": 1, "demand": [{"skill": "dev", "hours": 8}]}],
            },
            {
                "id": "c",
                **one_week,
                "value": 90,
                "phases": [{"periods": 1, "demand": [{"skill": "pm", "hours": 8}]}],
            },
        ],
    )
    plan = solve(data, solver="greedy")
    assert sorted(p.id for p in plan.projects if p.selected) == ["a", "c"]
    why = plan.projects[1].explanation
    assert why.code == "displaced" and why.skill == "dev" and why.displaced_by == ["a"]


def test_a_project_too_big_for_everyone_is_out_for_capacity():
    data = tiny(
        staff=[{"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}}],
        projects=[
            {"id": "huge", "value": 10, "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 12}]}]}
        ],
    )
    why = solve(data, solver="greedy").projects[0].explanation
    assert why.code == "capacity" and why.shortfall_hours == 2.0 and why.skill == "ba"


def test_project_moves_to_a_later_start_when_capacity_is_taken():
    data = tiny(
        staff=[{"id": "ann", "fte": 1.0, "skills": {"ba": 3}}],
        projects=[
            {"id": "a", "value": 10, "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 8}]}]},
            {"id": "b", "value": 5, "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 8}]}]},
        ],
    )
    plan = solve(data, solver="greedy")
    assert [(p.id, p.start_period) for p in plan.projects] == [("a", 0), ("b", 2)]


def test_mandatory_projects_go_first_even_if_worth_less():
    data = tiny(
        staff=[{"id": "ann", "fte": 1.0, "skills": {"ba": 3}}],
        projects=[
            {"id": "big", "value": 100, "phases": [{"periods": 6, "demand": [{"skill": "ba", "hours": 8}]}]},
            {
                "id": "must",
                "value": 1,
                "mandatory": True,
                "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 5}]}],
            },
        ],
    )
    plan = solve(data, solver="greedy")
    assert [p.selected for p in plan.projects] == [False, True]


def test_predecessor_out_means_successor_out_with_dependency_explanation():
    data = tiny(
        staff=[{"id": "ann", "fte": 1.0, "skills": {"ba": 3}}],
        projects=[
            {
                "id": "a",
                "value": 1,
                "cost": 50,
                "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 1}]}],
            },
            {
                "id": "b",
                "value": 9,
                "depends_on": ["a"],
                "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 1}]}],
            },
        ],
        policy={"budget": {"total": 10}},
    )
    plan = solve(data, solver="greedy")
    assert [p.selected for p in plan.projects] == [False, False]
    assert plan.projects[0].explanation.code == "budget"
    assert plan.projects[1].explanation.code == "dependency"


def test_predecessors_are_placed_first_and_lag_respected():
    data = tiny(
        projects=[
            {"id": "a", "value": 1, "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 1}]}]},
            {
                "id": "b",
                "value": 9,
                "depends_on": [{"project": "a", "lag": 2}],
                "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 1}]}],
            },
        ],
    )
    plan = solve(data, solver="greedy")
    assert [(p.start_period, p.finish_period) for p in plan.projects] == [(0, 1), (3, 4)]


def test_mandatory_work_that_cannot_fit_gives_a_plan_with_conflicts():
    data = tiny(
        staff=[{"id": "ann", "fte": 1.0, "skills": {"ba": 3}}],
        projects=[
            {
                "id": "a",
                "mandatory": True,
                "start": 0,
                "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 8}]}],
            },
            {
                "id": "b",
                "mandatory": True,
                "latest_finish": 1,
                "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 8}]}],
            },
        ],
    )
    plan = solve(data, solver="greedy")
    assert plan.status == "unknown" and not plan.assignments
    conflict = plan.conflicts[0]
    assert conflict.projects == ["b", "a"] and conflict.skill == "ba" and conflict.shortfall_hours == 6.0
    assert all(p.explanation is not None for p in plan.projects)


def test_budget_by_year_is_respected():
    data = tiny(
        calendar={"start": "2028-03-20", "periods": 4, "fte_hours": 10},
        projects=[
            {
                "id": "a",
                "value": 10,
                "cost": 40,
                "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 1}]}],
            },
        ],
        policy={"budget": {"by_year": {"2027": 10, "2028": 100}}},
    )
    plan = solve(data, solver="greedy")
    assert plan.projects[0].start_period == 2  # periods 0-1 fall in FY2027, capped at 10
    assert check_plan(parse_scenario(data), plan) == []


def test_greedy_is_deterministic(example):
    assert solve(example, solver="greedy").model_dump(exclude={"solve_seconds"}) == solve(
        example, solver="greedy"
    ).model_dump(exclude={"solve_seconds"})


def test_repair_turns_an_overfull_plan_into_a_valid_one_close_to_it():
    """Every project at a random start breaks capacity and budget; the repair keeps what fits
    where it was and gives a plan the MILP's independent check accepts."""
    import numpy as np

    from benchmarks.generator import generate
    from benchmarks.milp import verify
    from engine import build
    from solvers.greedy import repair, schedule_objective, solve_greedy

    for seed in (1, 2):
        data = build(parse_scenario(generate("S", seed=seed)))
        rng = np.random.default_rng(seed)
        wanted = {
            j: int(rng.integers(data.earliest[j], data.latest[j] + 1))
            for j in range(data.num_projects)
            if data.earliest[j] <= data.latest[j]
        }
        assert not verify(data, wanted)
        starts = repair(data, wanted)
        assert starts is not None and verify(data, starts)
        assert all(j in starts for j in range(data.num_projects) if data.mandatory[j])
        assert any(starts.get(j) == s for j, s in wanted.items() if not data.fixed[j])
        again = repair(data, starts)  # a valid plan keeps every project where it is
        assert again is not None and all(again.get(j) == s for j, s in starts.items())
        assert schedule_objective(data, starts) > 0.5 * schedule_objective(data, solve_greedy(data).starts)


def test_a_mandatory_project_with_no_demand_over_budget_is_a_conflict_not_a_crash():
    # Found by fuzzing: with no demand there is no skill to blame, and the greedy's conflict
    # report took the largest of nothing.
    data = tiny(
        projects=[
            {"id": "p", "value": 1, "cost": 10, "mandatory": True, "phases": [{"periods": 1, "demand": []}]}
        ],
        policy={"objective": "value", "budget": {"total": 5}},
    )
    for solver in ("greedy", "cp-sat"):
        plan = solve(data, solver=solver, time_limit=3)
        assert plan.status in ("infeasible", "unknown") and plan.conflicts
        assert "budget" in plan.conflicts[0].text
