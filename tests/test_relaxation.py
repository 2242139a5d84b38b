"""The LP relaxation: a valid bound, exact for multi-skilled people, as tight as the flow LP."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generator import generate
from benchmarks.milp import solve_milp
from engine import parse_scenario
from engine.problem import build
from engine.validation import validate
from solvers import relaxation
from solvers.cpsat import solve as solve_module
from solvers.cpsat.hall import initial_sets
from solvers.cpsat.solve import (
    DRAWS_FROM,
    DRAWS_SHARE,
    MAX_DRAWS,
    REPAIR_COST,
    ROUNDING_SHARES,
    _Budget,
    _offer_rounded,
    _Search,
    rounded_plan,
    solve_cpsat,
)
from solvers.greedy import repair, schedule_objective, solve_greedy
from solvers.relaxation import (
    Relaxation,
    _Lp,
    demand_entries,
    likeliest_starts,
    sampled_starts,
    solve_relaxation,
)
from tests.conftest import tiny
from tests.strategies import scenarios
from tests.test_cpsat import brute_force_optimum, feasible, one, small_enough

ANN = [{"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}}]


def relax(data, **limits):
    return solve_relaxation(data, initial_sets(data), time_limit=limits.get("time_limit", 10.0), **limits)


def test_one_person_with_two_skills_is_not_counted_twice():
    # Per-skill capacity would let both in; ann has one week of hours for the two of them.
    raw = tiny(
        staff=ANN,
        calendar={"start": "2027-04-05", "period": "week", "periods": 1, "fte_hours": 10},
        projects=[one("ba", id="a", hours=10, value=10), one("dev", id="b", hours=10, value=7)],
    )
    scenario, problems = validate(raw)
    assert scenario is not None, problems
    lp = relax(build(scenario))
    assert lp is not None and lp.exact
    assert lp.bound == pytest.approx(10, rel=1e-5)


def test_makespan_has_no_relaxation():
    scenario, _ = validate(tiny(projects=[one(id="a")], policy={"objective": "makespan"}))
    assert scenario is not None
    assert relax(build(scenario)) is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_projects=4))
def test_bound_is_never_below_the_exhaustive_optimum(raw):
    scenario, _ = validate(raw)
    if scenario is None or scenario.policy.objective == "makespan":
        return
    data = build(scenario)
    if not small_enough(data):
        return
    best = brute_force_optimum(data)
    lp = relax(data)
    if lp is None:  # the LP itself is infeasible: so is every plan
        assert best is None
        return
    assert lp.exact
    assert ((lp.selected >= -1e-9) & (lp.selected <= 1 + 1e-9)).all()
    assert (lp.selected[data.mandatory] >= 1 - 1e-6).all()
    if best is not None:
        assert lp.bound >= best - 1e-6


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_projects=6))
def test_as_tight_as_the_explicit_flow_lp(raw):
    """Cuts separated to exactness give the flow LP's optimum; the cumulative precedence
    rows can only make it tighter."""
    scenario, _ = validate(raw)
    if scenario is None or scenario.policy.objective == "makespan":
        return
    data = build(scenario)
    lp, flow = relax(data), solve_milp(data, time_limit=10, relax=True)
    if lp is None or flow.status != "optimal" or flow.bound is None:
        return
    tolerance = 1e-5 * max(1.0, abs(flow.bound))
    assert lp.bound <= flow.bound + tolerance
    if not any(data.predecessors):
        assert lp.bound == pytest.approx(flow.bound, abs=tolerance)


def test_likeliest_start_is_where_the_lp_puts_the_project():
    # Ann is away in weeks 0 and 1, so all of "a" (value 10, worth starting early) goes in week 2.
    staff = [{"id": "ann", "skills": {"ba": 3}, "leave": [{"from": "2027-04-05", "to": "2027-04-16"}]}]
    scenario, problems = validate(tiny(staff=staff, projects=[one(id="a", value=10)]))
    assert scenario is not None, problems
    lp = relax(build(scenario))
    assert lp is not None and lp.selected[0] == pytest.approx(1)
    assert lp.likeliest[0] == 2


def test_likeliest_starts_follow_the_cost_of_delay():
    # Ann (10 h a week) is away in weeks 0 and 1. "a" and "b" each need 8 h in one week and
    # lose value for every week they wait, "a" twice as fast: the LP puts all of "a" in
    # week 2 and fills the 2 h left with a quarter of "b", the rest of "b" in week 3.
    staff = [{"id": "ann", "skills": {"ba": 3}, "leave": [{"from": "2027-04-05", "to": "2027-04-16"}]}]
    projects = [one(id="a", value=100, cost_of_delay=2), one(id="b", value=100, cost_of_delay=1)]
    scenario, problems = validate(tiny(staff=staff, projects=projects))
    assert scenario is not None, problems
    lp = relax(build(scenario))
    assert lp is not None and lp.selected == pytest.approx([1, 1])
    assert list(lp.likeliest) == [2, 3]


def test_likeliest_start_ties_go_to_the_earliest():
    # Project 0 is split 0.4 / 0.4 / 0.2 over weeks 1, 3 and 2; project 1 has no columns.
    project, start, values = np.array([0, 0, 0]), np.array([1, 3, 2]), np.array([0.4, 0.4, 0.2])
    assert list(likeliest_starts(np.array([0, 5]), project, start, values)) == [1, 5]


def _relaxation_from_columns(
    project: list[int], start: list[int], fraction: list[float], projects: int
) -> Relaxation:
    return Relaxation(
        None, False, 1, np.zeros(projects), set(), np.zeros(projects, dtype=np.int64),
        np.array(project), np.array(start), np.array(fraction),
    )  # fmt: skip


def test_a_draw_takes_a_project_as_often_and_where_the_lp_does():
    # Project 0 is split 0.4 / 0.4 / 0.2 over weeks 1, 3 and 2; half of project 1 is in
    # week 4; project 2 has no columns.
    lp = _relaxation_from_columns([0, 0, 0, 1], [1, 3, 2, 4], [0.4, 0.4, 0.2, 0.5], projects=3)
    assert sampled_starts(lp, np.array([0.1, 0.6, 0.0])) == {0: 1}
    assert sampled_starts(lp, np.array([0.85, 0.49, 0.99])) == {0: 2, 1: 4}
    assert sampled_starts(lp, np.array([0.4, 0.5, 0.0])) == {0: 3}  # a draw on a boundary goes on
    rng, seen = np.random.default_rng(0), Counter[tuple[int, int]]()
    for _ in range(20_000):
        seen.update(sampled_starts(lp, rng.random(3)).items())
    shares = {key: n / 20_000 for key, n in seen.items()}
    assert shares == pytest.approx({(0, 1): 0.4, (0, 3): 0.4, (0, 2): 0.2, (1, 4): 0.5}, abs=0.015)


def test_a_draw_never_takes_a_start_the_lp_gives_nothing():
    # Project 0 is whole over weeks 0 and 1, with a zero column for week 2 (its latest);
    # project 1 is 0.3 in week 5 and 0 in week 6; project 2 is whole to within HiGHS's tolerance.
    lp = _relaxation_from_columns([0, 0, 0, 1, 1, 2], [0, 1, 2, 5, 6, 3], [0.5, 0.5, 0, 0.3, 0, 1 - 1e-7], 3)
    top = np.nextafter(1.0, 0.0)  # the largest draw
    assert sampled_starts(lp, np.array([top, np.nextafter(0.3, 0.0), top])) == {0: 1, 1: 5, 2: 3}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_projects=6), st.sampled_from([1, 1, 2, 3]))
def test_rounded_lp_plans_are_exact(raw, stride):
    """What the solver offers from the LP, fine or coarse: likeliest starts in each window
    (on the coarse LP's grid), and every rounded and repaired plan passes the independent
    feasibility check."""
    scenario, _ = validate(raw)
    if scenario is None or scenario.policy.objective == "makespan":
        return
    data = build(scenario)
    lp = relax(data, stride=stride)
    if lp is None:
        return
    assert lp.stride == stride and (lp.bound is None) == (stride > 1)
    assert ((lp.likeliest >= data.earliest) | (data.latest < data.earliest)).all()
    assert ((lp.likeliest <= data.latest) | (data.latest < data.earliest)).all()
    assert (((lp.likeliest - data.earliest) % stride == 0) | (lp.likeliest == data.latest)).all()
    coarse = _Lp(data, stride)  # every demand entry within its column's run
    offset = coarse.e_period - coarse.start[coarse.e_col]
    assert ((offset >= 0) & (offset < data.length[coarse.project[coarse.e_col]])).all()
    for share in ROUNDING_SHARES:
        plan = rounded_plan(data, lp, share)
        if plan is not None:
            assert feasible(data, plan)
    rng = np.random.default_rng(0)
    used = {
        (int(j), int(s))
        for j, s, x in zip(lp.column_project, lp.column_start, lp.column_fraction, strict=True)
        if x > 0
    }
    for _ in range(3):
        drawn = sampled_starts(lp, rng.random(data.num_projects))
        assert set(drawn.items()) <= used
        plan = repair(data, drawn)
        if plan is not None:
            assert feasible(data, plan)


def test_an_iteration_limit_makes_it_repeatable(example):
    scenario, _ = validate(example)
    assert scenario is not None
    data = build(scenario)
    first, second = relax(data, iterations=10_000), relax(data, iterations=10_000)
    assert first is not None and second is not None
    assert first.bound == second.bound and first.sets == second.sets


def test_a_deadline_off_the_coarse_grid_keeps_the_coarse_lp_feasible():
    # b follows a (2 weeks) and must start by week 2: on a grid of every 3 weeks from week 0
    # alone it could not start at all; its latest start is always a column.
    a = one(hours=2, periods=2, id="a", mandatory=True)
    b = one(id="b", mandatory=True, depends_on=["a"], latest_finish=2)
    scenario, problems = validate(tiny(staff=ANN, projects=[a, b, one(id="c", value=5)]))
    assert scenario is not None, problems
    lp = relax(build(scenario), stride=3)
    assert lp is not None and lp.selected[:2] == pytest.approx([1, 1])
    assert list(lp.likeliest[:2]) == [0, 2]


def test_above_max_entries_the_optimiser_is_guided_by_a_coarse_lp(example, monkeypatch):
    """Above MAX_ENTRIES (made small here) the LP starts projects every few periods and gives
    no bound, and the optimiser's plan stays exact, repeatable and never below greedy."""
    scenario, _ = validate(example)
    assert scenario is not None
    data = build(scenario)
    monkeypatch.setattr(relaxation, "MAX_ENTRIES", 0)
    monkeypatch.setattr(relaxation, "COARSE_ENTRIES", demand_entries(data) // 3)
    lp = relax(data)
    assert lp is not None and lp.bound is None and lp.stride >= 3
    schedule = solve_cpsat(data, time_limit=2, deterministic=True)
    assert feasible(data, schedule.starts)
    assert solve_cpsat(data, time_limit=2, deterministic=True).starts == schedule.starts
    greedy = solve_greedy(data)
    assert schedule_objective(data, schedule.starts) >= schedule_objective(data, greedy.starts)


def test_solves_limit_the_rounds_of_cuts():
    """Deterministic mode bounds the LP by solves: one solve of S seed 1 is a looser bound than
    the cuts separated to exactness, and still a bound."""
    data = build(parse_scenario(generate("S", seed=1)))
    one_solve = solve_relaxation(data, initial_sets(data), time_limit=20, solves=1)
    exact = solve_relaxation(data, initial_sets(data), time_limit=20)
    assert one_solve is not None and exact is not None and exact.exact and not one_solve.exact
    assert one_solve.bound is not None and exact.bound is not None
    assert one_solve.bound > exact.bound


def test_the_first_solve_may_outlast_the_rounds_of_cuts():
    """With no time for rounds of cuts, the first solve still runs when given its own limit:
    a bound and a plan to round, where the time limit alone gives nothing."""
    data = build(parse_scenario(generate("S", seed=1)))
    assert solve_relaxation(data, initial_sets(data), time_limit=0.0) is None
    first = solve_relaxation(data, initial_sets(data), time_limit=0.0, first_solve_limit=20)
    one_solve = solve_relaxation(data, initial_sets(data), time_limit=20, solves=1)
    assert first is not None and one_solve is not None and not first.exact
    assert first.bound == pytest.approx(one_solve.bound)
    assert first.selected.sum() > 0


def test_the_best_rounded_plan_is_offered_and_its_repairs_are_charged(example):
    """The optimiser offers every rounded plan: the best becomes the incumbent. In
    deterministic mode each repair is charged and the clock never skips one; on the clock
    a repair that would not fit in the time left is skipped."""
    scenario, _ = validate(example)
    assert scenario is not None
    data = build(scenario)
    lp = relax(data)
    assert lp is not None
    plans = [p for p in (rounded_plan(data, lp, share) for share in ROUNDING_SHARES) if p is not None]
    assert plans
    best = max(schedule_objective(data, p) for p in plans)
    slow_repairs = 1e9  # greedy seconds: on the clock, no repair would fit

    assert data.num_projects < DRAWS_FROM  # so no draws: the roundings alone
    search, budget = _Search(data, None, time.perf_counter()), _Budget(10, deterministic=True)
    _offer_rounded(data, search, lp, budget, slow_repairs)
    assert search.best is not None and search.best_value == pytest.approx(best)
    assert budget.used == pytest.approx(
        len(ROUNDING_SHARES) * REPAIR_COST * data.num_projects * data.num_periods
    )

    on_the_clock = _Search(data, None, time.perf_counter())
    _offer_rounded(data, on_the_clock, lp, _Budget(10, deterministic=False), slow_repairs)
    assert on_the_clock.best is None
    _offer_rounded(data, on_the_clock, lp, _Budget(10, deterministic=False), 0.0)
    assert on_the_clock.best_value == pytest.approx(best)


def test_draws_are_charged_and_repeat_in_deterministic_mode(example, monkeypatch):
    """From DRAWS_FROM projects, each draw is charged like a repair, as many as fit in the
    share; the same seed offers the same plans in the same order, another seed others."""
    monkeypatch.setattr(solve_module, "DRAWS_FROM", 0)
    scenario, _ = validate(example)
    assert scenario is not None
    data = build(scenario)
    lp = relax(data)
    assert lp is not None
    cost = REPAIR_COST * data.num_projects * data.num_periods

    def offered(seed: int) -> list[dict[int, int]]:
        search, budget = _Search(data, None, time.perf_counter()), _Budget(10, deterministic=True)
        plans: list[dict[int, int]] = []
        monkeypatch.setattr(search, "offer", lambda plan: plans.append(dict(plan)))
        _offer_rounded(data, search, lp, budget, 1e9, seed=seed)
        draws = min(MAX_DRAWS, int(DRAWS_SHARE * 10 / cost))
        assert draws > 0 and budget.used == pytest.approx((len(ROUNDING_SHARES) + draws) * cost)
        assert len(plans) > len(ROUNDING_SHARES)  # the draws' plans are offered too
        for plan in plans:
            assert feasible(data, plan)
        return plans

    assert offered(3) == offered(3)
    assert offered(3) != offered(4)
