"""The HiGHS MILP peer: same optimum as CP-SAT, a valid LP bound, honest statuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from benchmarks.milp import solve_milp, verify
from engine.problem import ProblemData, build
from engine.validation import parse_scenario
from solvers.cpsat import solve_cpsat
from solvers.greedy import schedule_objective, solve_greedy
from tests.conftest import EXAMPLE, tiny

ANN = [{"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}, "cost_per_hour": 2.0}]


def one(skill: str = "ba", hours: float = 8, periods: int = 1, **fields: Any) -> dict[str, Any]:
    return {"phases": [{"periods": periods, "demand": [{"skill": skill, "hours": hours}]}], **fields}


def data_of(raw: dict[str, Any]) -> ProblemData:
    return build(parse_scenario(raw))


def plan_objective(data: ProblemData, starts: dict[int, int]) -> float:
    """As plans report it: makespan in periods, otherwise value or priority."""
    objective = schedule_objective(data, starts)
    return -objective if data.objective == "makespan" else objective


SCENARIOS: dict[str, dict[str, Any]] = {
    "multi-skilled-person": tiny(
        staff=ANN,
        projects=[one(id="a", value=10, latest_finish=0), one("dev", id="b", value=5, latest_finish=0)],
    ),
    "mandatory-and-fixed": tiny(
        staff=ANN,
        projects=[
            one(id="big", value=100, periods=5),
            one(id="must", value=1, mandatory=True),
            one(id="fixed", value=1, start=2),
        ],
    ),
    "dependency-with-lag": tiny(
        projects=[
            one(id="a", value=0, hours=1, periods=2),
            one(id="b", value=9, hours=1, depends_on=[{"project": "a", "lag": 2}]),
            one(id="c", value=4, hours=1, depends_on=["b"]),
        ]
    ),
    "cost-of-delay": tiny(
        staff=ANN,
        projects=[
            one(id="slow", value=50, periods=2),
            one(id="urgent", value=50, periods=2, cost_of_delay=5),
            one("dev", id="late", value=30, periods=2, cost_of_delay=3, earliest_start=1),
        ],
    ),
    "budget-total": tiny(
        projects=[
            one(id=i, value=v, cost=c, hours=1) for i, v, c in [("x", 60, 100), ("y", 50, 50), ("z", 40, 50)]
        ],
        policy={"budget": {"total": 100}},
    ),
    "budget-by-period": tiny(
        projects=[one(id=i, value=5, cost=10, hours=1) for i in "abc"],
        policy={"budget": {"by_period": [10, 10, 0, 0, 0, 0]}},
    ),
    "budget-by-year-with-labour": tiny(
        calendar={"start": "2028-03-20", "periods": 4, "fte_hours": 10},
        staff=ANN,
        projects=[one(id="a", value=10, cost=40, periods=2, hours=1), one(id="b", value=8, cost=5, hours=5)],
        policy={"budget": {"by_year": {"2027": 25, "2028": 100}, "include_labour": True}},
    ),
    "priority": tiny(
        staff=ANN,
        drivers=[{"id": "safety", "weight": 1}],
        projects=[
            one(id="rich", value=100, periods=6, scores={"safety": 1}),
            one(id="safe", value=1, periods=3, scores={"safety": 5}),
            one(id="also", value=1, periods=3, scores={"safety": 2}),
        ],
        policy={"objective": "priority"},
    ),
    "makespan": tiny(
        staff=ANN,
        projects=[
            one(id="a", periods=2),
            one(id="b", periods=1, depends_on=["a"]),
            one("dev", id="c", periods=2),
        ],
        policy={"objective": "makespan"},
    ),
    "example": json.loads(EXAMPLE.read_text()),
}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def solved(request: pytest.FixtureRequest) -> tuple[ProblemData, Any]:
    data = data_of(SCENARIOS[request.param])
    return data, solve_milp(data, time_limit=10)


def test_milp_optimum_equals_cpsat_optimum(solved):
    data, milp = solved
    cpsat = solve_cpsat(data, time_limit=5, deterministic=True)
    # With labour in the budget CP-SAT reserves the dearest rate: proven only where the LP's
    # bound, at the cheapest rate, meets the plan.
    assert cpsat.status in (("feasible", "optimal") if data.include_labour else ("optimal",))
    assert milp.status == "optimal"
    assert milp.verified and verify(data, milp.starts)
    assert milp.objective == pytest.approx(plan_objective(data, cpsat.starts), abs=1e-6)
    assert milp.objective == pytest.approx(plan_objective(data, milp.starts))
    assert milp.bound == pytest.approx(milp.objective, rel=2e-4, abs=1e-6)


def test_lp_relaxation_bounds_the_milp_optimum(solved):
    data, milp = solved
    lp = solve_milp(data, time_limit=10, relax=True)
    assert lp.status == "optimal" and lp.objective is None and lp.starts == {}
    if data.objective == "makespan":
        assert lp.bound <= milp.objective + 1e-6
    else:
        assert lp.bound >= milp.objective - 1e-6


def test_a_hint_is_a_floor():
    data = data_of(SCENARIOS["example"])
    greedy = solve_greedy(data)
    result = solve_milp(data, time_limit=10, hint=greedy.starts)
    assert result.status == "optimal"
    assert result.objective >= schedule_objective(data, greedy.starts) - 1e-6


@pytest.mark.parametrize(
    "raw",
    [
        tiny(  # two mandatory projects need ann's ba hours in the same periods
            staff=[{"id": "ann", "skills": {"ba": 3}}, {"id": "bob", "skills": {"dev": 3}}],
            projects=[
                one(id="a", mandatory=True, start=0, periods=2),
                one(id="b", mandatory=True, latest_finish=1),
            ],
        ),
        tiny(projects=[one(id="a", mandatory=True, cost=50, hours=1)], policy={"budget": {"total": 10}}),
    ],
    ids=["capacity", "budget"],
)
def test_infeasible_mandatory_work(raw):
    data = data_of(raw)
    result = solve_milp(data, time_limit=5)
    assert result.status == "infeasible"
    assert result.objective is None and result.starts == {}
    assert solve_milp(data, time_limit=5, relax=True).status == "infeasible"


def test_mandatory_project_without_a_start_is_infeasible():
    data = data_of(tiny(projects=[one(id="a", mandatory=True)]))
    data.latest[0] = data.earliest[0] - 1  # what problem.build gives when no start fits
    assert solve_milp(data, time_limit=5).status == "infeasible"
    assert solve_milp(data, time_limit=5, relax=True).status == "infeasible"


def test_verify_checks_capacity_dependencies_and_mandatory_work():
    data = data_of(SCENARIOS["dependency-with-lag"])
    assert verify(data, {0: 0, 1: 4, 2: 5})
    assert not verify(data, {0: 0, 1: 3})  # b starts before a's lag is over
    assert not verify(data, {1: 4})  # b without its predecessor
    data = data_of(SCENARIOS["multi-skilled-person"])
    assert not verify(data, {0: 0, 1: 0})  # ann cannot do both at once
    data = data_of(SCENARIOS["mandatory-and-fixed"])
    assert not verify(data, {1: 0})  # the fixed project is missing
