"""Least delays between ordered projects: valid lower bounds, checked against every schedule."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import parse_scenario
from engine.problem import build
from engine.validation import validate
from solvers.cpsat import makespan
from solvers.cpsat.delays import END, START, Span, least_delays, spans
from solvers.cpsat.hall import initial_sets
from solvers.cpsat.solve import _Budget, _Search
from solvers.greedy import schedule_objective
from tests.conftest import tiny
from tests.test_cpsat import feasible

ANN = [{"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}}]  # 10 h a week, two skills
MAKESPAN = {"objective": "makespan"}


def job(pid, periods=1, hours=8, skill="ba", after=()):
    phase = {"periods": periods, "demand": [{"skill": skill, "hours": hours}]}
    return {"id": pid, "mandatory": True, "depends_on": list(after), "phases": [phase]}


def delays_of(data, seconds=5.0):
    return least_delays(data, initial_sets(data), spans(data), _Budget(seconds, True))


def test_two_branches_sharing_one_person_make_the_last_wait_for_both():
    # a -> x, y -> b; x and y need Ann for two weeks each, so b starts 4 weeks after a, not 2.
    raw = tiny(
        staff=ANN,
        projects=[job("a"), job("x", 2, after=["a"]), job("y", 2, after=["a"]), job("b", after=["x", "y"])],
        policy=MAKESPAN,
    )
    data = build(parse_scenario(raw))
    found = spans(data)
    assert Span(0, 3, (1, 2)) in found
    assert all((s.first, s.last) != (START, END) for s in found)  # the whole portfolio is the main solve
    assert delays_of(data)[(0, 3)] == 4


def test_no_span_without_two_branches():
    raw = tiny(staff=ANN, projects=[job("a"), job("x", after=["a"]), job("b", after=["x"])], policy=MAKESPAN)
    assert spans(build(parse_scenario(raw))) == []


@st.composite
def networks(draw: st.DrawFn) -> dict:
    """Up to five mandatory projects on random dependencies, with one or two people."""
    n = draw(st.integers(3, 5))
    projects = []
    for j in range(n):
        preds = [f"p{i}" for i in range(j) if draw(st.booleans())]
        lagged = [{"project": p, "lag": draw(st.integers(0, 1))} for p in preds]
        skill = draw(st.sampled_from(["ba", "dev"]))
        demand = [{"skill": skill, "hours": draw(st.integers(2, 9))}]
        phase = {"periods": draw(st.integers(1, 2)), "demand": demand}
        projects.append({"id": f"p{j}", "mandatory": True, "depends_on": lagged, "phases": [phase]})
    staff = [{"id": "ann", "fte": draw(st.sampled_from([0.5, 1.0])), "skills": {"ba": 3, "dev": 3}}]
    if draw(st.booleans()):
        staff.append({"id": "bob", "fte": 0.5, "skills": {"dev": 3}})
    periods = draw(st.integers(5, 7))
    calendar = {"start": "2027-04-05", "period": "week", "periods": periods, "fte_hours": 10}
    return tiny(calendar=calendar, staff=staff, projects=projects, policy=MAKESPAN)


def every_schedule(data):
    """Each feasible plan (every project runs), by brute force."""
    options = [range(int(data.earliest[j]), int(data.latest[j]) + 1) for j in range(data.num_projects)]
    for choice in itertools.product(*options):
        starts = dict(enumerate(choice))
        if feasible(data, starts):
            yield starts


def wait(data, starts, first, last):
    """Periods from ``first``'s finish to ``last``'s start in one plan."""
    finish = 0 if first == START else starts[first] + int(data.length[first])
    begin = schedule_objective(data, starts) * -1 if last == END else starts[last]
    return begin - finish


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_least_delays_never_exceed_any_plans_wait_and_keep_the_optimum(raw):
    scenario, _ = validate(raw)
    if scenario is None:
        return
    data = build(scenario)
    plans = list(every_schedule(data))
    delays = delays_of(data)
    for (first, last), delay in delays.items():
        assert all(delay <= wait(data, starts, first, last) for starts in plans), (first, last, delay)
    # The whole model with the delays still finds the brute-force optimum.
    budget = _Budget(5, True)
    search = _Search(data, None, budget.started)
    rounds = makespan._Rounds(data, search, makespan.segments(data), 0, 0.0, None)
    rounds.delays = delays
    outcome = rounds.run(budget)
    if not plans:
        assert search.best is None
        return
    assert outcome == "proven"
    assert search.best_value == max(schedule_objective(data, starts) for starts in plans)
