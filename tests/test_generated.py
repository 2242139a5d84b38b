"""Greedy plans on generated portfolios, from a handful of projects up to size M
(150 projects, 400 staff, 52 weeks), pass both the engine's checker and the oracle."""

import pytest

from benchmarks.generator import Size, generate
from engine import check_plan, parse_scenario, solve
from tests import oracle


@pytest.mark.parametrize(
    ("size", "seed"),
    [
        (Size(projects=4, staff=5, skills=3, periods=10), 0),
        (Size(projects=12, staff=20, skills=5, periods=20), 1),
        ("S", 2),
        ("M", 3),
    ],
)
def test_greedy_plans_on_generated_portfolios_are_valid(size, seed):
    raw = generate(size, seed=seed)
    scenario = parse_scenario(raw)
    plan = solve(scenario, solver="greedy")
    assert plan.status == "feasible"
    assert plan.metrics.selected > 0
    assert check_plan(scenario, plan) == []
    assert oracle.check(raw, plan.model_dump(mode="json")) == []


def test_month_calendar_portfolio():
    raw = generate(Size(projects=10, staff=15, skills=4, periods=12), seed=4, period="month")
    scenario = parse_scenario(raw)
    plan = solve(scenario, solver="greedy")
    assert check_plan(scenario, plan) == []
    assert oracle.check(raw, plan.model_dump(mode="json")) == []


@pytest.mark.parametrize("seed", [1, 2])
def test_optimiser_on_the_clock_runs_rounds_and_neighbourhoods_side_by_side(seed):
    """Without deterministic mode the cut rounds and neighbourhood search share the time in
    two threads; whatever either finds, the plan is valid and never below greedy."""
    raw = generate(Size(projects=12, staff=20, skills=5, periods=20), seed=seed)
    scenario = parse_scenario(raw)
    greedy = solve(scenario, solver="greedy")
    seen: list[dict[str, float]] = []
    plan = solve(scenario, solver="cp-sat", time_limit=3, on_progress=seen.append)
    assert plan.status in ("optimal", "feasible") and seen
    assert check_plan(scenario, plan) == []
    assert oracle.check(raw, plan.model_dump(mode="json")) == []
    assert plan.objective >= greedy.objective - 1e-6
    assert plan.bound is not None and plan.bound >= plan.objective - 1e-6


def test_large_portfolios_use_neighbourhood_search_alone(monkeypatch):
    """Above a size threshold (L and up) the whole-portfolio model is not built at all."""
    import solvers.cpsat.solve as cpsat_solve

    monkeypatch.setattr(cpsat_solve, "WHOLE_MODEL_ENTRIES", 0)
    monkeypatch.setattr(cpsat_solve, "PortfolioModel", None)  # building it would now fail loudly
    raw = generate(Size(projects=12, staff=20, skills=5, periods=20), seed=3)
    scenario = parse_scenario(raw)
    greedy = solve(scenario, solver="greedy")
    plan = solve(scenario, solver="cp-sat", time_limit=2)
    assert check_plan(scenario, plan) == []
    assert oracle.check(raw, plan.model_dump(mode="json")) == []
    assert plan.objective >= greedy.objective - 1e-6
