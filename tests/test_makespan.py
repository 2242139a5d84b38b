"""The interval model for makespan: exact capacity, every rule, optimal on brute-forceable cases."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from engine import check_plan, parse_scenario, solve
from engine.problem import build
from engine.psplib import import_psplib
from engine.validation import validate
from solvers.cpsat import makespan
from solvers.cpsat.makespan import components, solve_makespan, suits
from solvers.cpsat.precedence import interchangeable, symmetric_order
from solvers.cpsat.solve import _Budget, _Search
from solvers.greedy import schedule_objective, solve_greedy
from tests import oracle
from tests.conftest import tiny
from tests.strategies import scenarios
from tests.test_cpsat import brute_force_optimum, feasible, small_enough

FAST = {"time_limit": 5, "deterministic": True}
J30 = Path("/work/shared/bench/psplib/j30")


def work(skill="ba", hours=8, periods=1, **fields):
    return {"phases": [{"periods": periods, "demand": [{"skill": skill, "hours": hours}]}], **fields}


ANN = [{"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}}]  # 10 h a week, two skills
MAKESPAN = {"objective": "makespan"}


def planned(raw) -> tuple[float, dict[str, int | None]]:
    """The makespan and starts of an optimal plan, checked by the engine and the oracle."""
    plan = solve(raw, **FAST)
    assert plan.status == "optimal"
    assert check_plan(parse_scenario(raw), plan) == []
    assert oracle.check(raw, plan.model_dump(mode="json")) == []
    return plan.objective, {p.id: p.start_period for p in plan.projects}


def test_makespan_scenarios_use_the_interval_model_unless_the_budget_depends_on_dates():
    raw = tiny(staff=ANN, projects=[work(id="a")], policy=MAKESPAN)
    assert suits(build(parse_scenario(raw)))
    raw["policy"]["budget"] = {"by_period": [100] * 6}
    assert not suits(build(parse_scenario(raw)))


def test_a_multi_skilled_person_is_counted_once():
    # Per-skill cumulatives would run both at once (8 h of ba, 8 h of dev, 10 h each).
    raw = tiny(staff=ANN, projects=[work(id="a"), work("dev", id="b")], policy=MAKESPAN)
    assert planned(raw)[0] == 2


def test_broken_hall_sets_found_by_max_flow_become_cumulatives():
    """Started from per-class sets only, the rounds find the shared person and stay exact."""
    raw = tiny(staff=ANN, projects=[work(id="a"), work("dev", id="b")], policy=MAKESPAN)
    data = build(parse_scenario(raw))
    budget = _Budget(5, True)
    search = _Search(data, None, budget.started)
    rounds = makespan._Rounds(data, search, makespan.segments(data), 0, 0.0, None)
    rounds.sets = {frozenset([c]) for c in range(len(data.classes))}
    assert rounds.run(budget) == "proven"
    assert search.best_value == -2 and frozenset({0, 1}) in rounds.sets


def test_leave_reduces_capacity_in_its_period():
    staff = [{"id": "ann", "skills": {"ba": 3}, "leave": [{"from": "2027-04-05", "to": "2027-04-09"}]}]
    raw = tiny(staff=staff, projects=[work(id="a"), work(id="b", hours=3)], policy=MAKESPAN)
    makespan_found, starts = planned(raw)
    assert makespan_found == 3 and sorted(starts.values()) == [1, 2]  # away in week 0; 8 + 3 > 10 h


def test_part_time_capacity_by_period():
    staff = [{"id": "ann", "skills": {"ba": 3}, "fte_by_period": [0.5, 0.5, 1, 1, 1, 1]}]
    raw = tiny(staff=staff, projects=[work(id="a", hours=6)], policy=MAKESPAN)
    assert planned(raw) == (3, {"a": 2})


def test_dependency_lag():
    raw = tiny(
        projects=[work(id="a", hours=1), work(id="b", hours=1, depends_on=[{"project": "a", "lag": 2}])],
        policy=MAKESPAN,
    )
    assert planned(raw) == (4, {"a": 0, "b": 3})


def test_fixed_start_and_window():
    raw = tiny(
        staff=ANN,
        projects=[work(id="fixed", start=1), work(id="late", earliest_start=3), work(id="free")],
        policy=MAKESPAN,
    )
    assert planned(raw) == (4, {"fixed": 1, "late": 3, "free": 0})


def test_phases_keep_their_offsets():
    two_phases = {
        "phases": [
            {"periods": 1, "demand": [{"skill": "ba", "hours": 8}]},
            {"periods": 1, "demand": [{"skill": "dev", "hours": 8}]},
        ]
    }
    alone = tiny(staff=ANN, projects=[{"id": "a", **two_phases}, {"id": "b", **two_phases}], policy=MAKESPAN)
    assert planned(alone)[0] == 4  # one person: a's dev week cannot be b's ba week
    two = [{"id": "ann", "skills": {"ba": 3}}, {"id": "bob", "skills": {"dev": 3}}]
    pair = tiny(staff=two, projects=[{"id": "a", **two_phases}, {"id": "b", **two_phases}], policy=MAKESPAN)
    assert planned(pair)[0] == 3  # pipelined


def test_mandatory_work_that_cannot_fit_is_an_infeasibility_report():
    raw = tiny(
        staff=ANN, projects=[work(id="a", latest_finish=0), work(id="b", latest_finish=0)], policy=MAKESPAN
    )
    plan = solve(raw, **FAST)
    assert plan.status == "infeasible" and plan.conflicts


def test_interchangeable_projects_are_grouped_and_ordered():
    raw = tiny(staff=ANN, projects=[work(id="a"), work(id="b"), work(id="c", hours=2)], policy=MAKESPAN)
    data = build(parse_scenario(raw))
    assert interchangeable(data) == [[0, 1]]
    assert symmetric_order(data, {0: 3, 1: 1, 2: 0}) == {0: 1, 1: 3, 2: 0}


def test_a_class_set_splits_where_no_group_serves_both_sides():
    staff = [{"id": "ann", "skills": {"ba": 3}}, {"id": "bob", "skills": {"dev": 3, "pm": 3}}]
    raw = tiny(
        skills=[{"id": "ba"}, {"id": "dev"}, {"id": "pm"}],
        staff=staff,
        projects=[work(id="a"), work("dev", id="b"), work("pm", id="c")],
        policy=MAKESPAN,
    )
    data = build(parse_scenario(raw))
    assert components(data, frozenset({0, 1, 2})) == {frozenset({0}), frozenset({1, 2})}


def test_progress_reports_each_better_plan_and_the_bound():
    raw = tiny(staff=ANN, projects=[work(id=f"p{i}", periods=2) for i in range(3)], policy=MAKESPAN)
    seen: list[dict[str, float]] = []
    plan = solve(raw, on_progress=seen.append, **FAST)
    assert plan.status == "optimal" and plan.objective == 6
    assert seen[-1]["bound"] == 6 and seen[-1]["gap"] == 0


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_projects=4, objective="makespan"))
def test_makespan_matches_brute_force(raw):
    scenario, _ = validate(raw)
    if scenario is None:
        return
    data = build(scenario)
    if not suits(data) or not small_enough(data):
        return
    best = brute_force_optimum(data)
    schedule = solve_makespan(data, **FAST)
    if best is None:
        assert schedule.status == "infeasible" and schedule.conflicts
        return
    assert schedule.status == "optimal"
    assert schedule_objective(data, schedule.starts) == best


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_projects=7, objective="makespan"))
def test_makespan_plans_pass_the_oracle(raw):
    scenario, _ = validate(raw)
    if scenario is None:
        return
    plan = solve(scenario, **FAST)
    if plan.status in ("infeasible", "unknown"):
        assert plan.conflicts
        return
    assert oracle.check(raw, plan.model_dump(mode="json")) == []
    assert check_plan(scenario, plan) == []


@pytest.mark.skipif(not J30.is_dir(), reason="the PSPLIB j30 set is not on this machine")
@pytest.mark.parametrize(("instance", "optimum"), [("j301_1", 43), ("j3046_1", 59)])
def test_j30_instances_reach_their_known_optimum(instance, optimum):
    scenario = import_psplib(J30 / f"{instance}.sm")
    plan = solve(scenario, time_limit=10, deterministic=True)
    assert plan.status == "optimal" and plan.objective == optimum
    assert check_plan(parse_scenario(scenario), plan) == []


def test_deterministic_mode_gives_the_same_plan():
    raw = tiny(
        staff=[*ANN, {"id": "bob", "fte": 0.5, "skills": {"dev": 4}}],
        projects=[
            work("ba" if i % 2 else "dev", id=f"p{i}", hours=3 + i, periods=1 + i % 2) for i in range(5)
        ],
        policy=MAKESPAN,
    )
    first = solve(raw, seed=3, **FAST).model_dump(exclude={"solve_seconds"})
    assert first == solve(raw, seed=3, **FAST).model_dump(exclude={"solve_seconds"})


def hard_60_jobs():
    """A 60-job PSPLIB-like instance of a tightly constrained set (resource strength 0.2)."""
    from benchmarks.progen import generate_instance, to_text
    from engine.psplib import parse_psplib, to_scenario

    return build(parse_scenario(to_scenario(parse_psplib(to_text(generate_instance(60, 13, 1))))))


def test_the_genetic_search_shortens_the_greedy_plan_exactly():
    data = hard_60_jobs()
    greedy = solve_greedy(data)
    search = _Search(data, None, 0.0)
    search.offer(greedy.starts)
    rounds = makespan._Rounds(data, search, makespan.segments(data), seed=0, gap=0.0, workers=1)
    rounds.evolve(_Budget(0.5, deterministic=True))
    assert search.best is not None and search.best_value > schedule_objective(data, greedy.starts)
    assert feasible(data, search.best)


def test_above_genetic_from_the_plan_stays_repeatable_and_exact():
    data = hard_60_jobs()
    assert data.num_projects >= makespan.GENETIC_FROM
    first = solve_makespan(data, time_limit=0.5, deterministic=True)
    assert first.starts == solve_makespan(data, time_limit=0.5, deterministic=True).starts
    assert feasible(data, first.starts)


def test_small_schedules_leave_both_cores_to_the_full_searches():
    """Below GENETIC_FROM projects the two full searches (no LP, one restarting often) run
    alone on two cores; from it up a third worker searches neighbourhoods for shorter plans."""
    from ortools.sat.python import cp_model

    def workers(projects):
        params = cp_model.CpSolver().parameters
        params.num_workers = 2
        makespan._tune(params, None, projects)
        assert list(params.subsolvers) == ["no_lp", "quick_restart_no_lp"]
        return params.num_workers

    assert workers(makespan.GENETIC_FROM - 1) == 2
    assert workers(makespan.GENETIC_FROM) == 3


def test_a_chain_longer_than_the_horizon_is_infeasible_not_unknown():
    # 'b' waits 2 periods for 'a', then runs 3 in a 4-period horizon: CP-SAT was given an empty
    # makespan domain (the critical path, 5, above the horizon), said MODEL_INVALID, and the
    # plan came back "unknown" (found by the budget strategies' new examples).
    raw = tiny(
        calendar={"start": "2027-04-05", "period": "week", "periods": 4, "fte_hours": 10},
        projects=[
            {
                "id": "a",
                "mandatory": True,
                "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 2}]}],
            },
            {
                "id": "b",
                "depends_on": [{"project": "a"}],
                "phases": [{"periods": 3, "demand": [{"skill": "ba", "hours": 2}]}],
            },
        ],
        policy={"objective": "makespan"},
    )
    data = build(parse_scenario(raw))
    assert suits(data)
    assert solve_makespan(data, **FAST).status == "infeasible"
