"""Least delays between ordered projects: valid lower bounds, checked against every schedule."""

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import parse_scenario
from engine.problem import build
from engine.validation import validate
from solvers.cpsat import makespan
from solvers.cpsat.delays import END, START, Span, _Known, _SpanModel, least_delays, spans
from solvers.cpsat.hall import initial_sets
from solvers.cpsat.precedence import topological
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


def test_nested_spans_use_the_delays_inside_them_exactly():
    # s -> a -> x, y -> c -> p, q -> d, each a week of Ann's, and s -> w -> d, a week of Bob's.
    # x and y cannot overlap, nor p and q: from a to c 2 weeks, c to d 2, a to d 5, and s to d
    # 6, each learnt with the ones inside it known (from its first, between, and to its last).
    staff = [{"id": "ann", "fte": 1.0, "skills": {"ba": 3}}, {"id": "bob", "fte": 1.0, "skills": {"dev": 3}}]
    projects = [job("s"), job("a", after=["s"]), job("x", after=["a"]), job("y", after=["a"])]
    projects += [job("c", after=["x", "y"]), job("p", after=["c"]), job("q", after=["c"])]
    projects += [job("w", skill="dev", after=["s"]), job("d", after=["p", "q", "w"])]
    calendar = {"start": "2027-04-05", "period": "week", "periods": 10, "fte_hours": 10}
    data = build(parse_scenario(tiny(calendar=calendar, staff=staff, projects=projects, policy=MAKESPAN)))
    learnt = {k: v for k, v in delays_of(data).items() if START not in k and END not in k}
    assert learnt == {(1, 4): 2, (4, 8): 2, (1, 8): 5, (0, 8): 6}


def test_longest_branch_counts_lags_earliest_starts_and_the_lag_to_last():
    # a -> x (2 weeks, 1 week's lag) -> b (lag 2), a -> y -> b; o -> y is outside the span.
    # From a's finish: x starts at 1 and ends at 3, and b may start 2 weeks later: 5.
    # From the virtual start (a may start in week 2 at the earliest): 3 + 5 = 8.
    lag = lambda p, n: {"project": p, "lag": n}  # noqa: E731
    projects = [{**job("a"), "earliest_start": 2}, job("o"), job("x", 2, after=[lag("a", 1)])]
    projects += [job("y", after=["a", "o"]), job("b", after=[lag("x", 2), "y"])]
    calendar = {"start": "2027-04-05", "period": "week", "periods": 12, "fte_hours": 10}
    data = build(parse_scenario(tiny(calendar=calendar, staff=ANN, projects=projects, policy=MAKESPAN)))
    sets, order = initial_sets(data), topological(data)
    inner = _SpanModel(data, sets, Span(0, 4, (2, 3)), _Known(), order)
    assert inner.longest_branch == 5
    whole = _SpanModel(data, sets, Span(START, 4, (0, 1, 2, 3)), _Known(), order)
    assert whole.longest_branch == 8


def test_no_span_without_two_branches():
    raw = tiny(staff=ANN, projects=[job("a"), job("x", after=["a"]), job("b", after=["x"])], policy=MAKESPAN)
    assert spans(build(parse_scenario(raw))) == []


def test_leave_in_one_week_is_not_assumed_in_every_week():
    # Ann and Cat both do ba; Cat is away in week 5, after all the work. x and y fit
    # together in week 1, so b waits 1 week after a: no delay beyond the longest branch.
    staff = [
        {"id": "ann", "fte": 1.0, "skills": {"ba": 3}},
        {"id": "cat", "fte": 1.0, "skills": {"ba": 3}, "leave": [{"from": "2027-05-10", "to": "2027-05-14"}]},
    ]
    projects = [job("a"), job("x", after=["a"]), job("y", after=["a"]), job("b", after=["x", "y"])]
    data = build(parse_scenario(tiny(staff=staff, projects=projects, policy=MAKESPAN)))
    assert Span(0, 3, (1, 2)) in spans(data)
    assert (0, 3) not in delays_of(data)


def test_phases_keep_their_offsets():
    # x needs ba then dev, y dev then ba, one week each: they run side by side, so b waits
    # 2 weeks after a (their length), not 3 as it would if both phases began at the start.
    staff = [{"id": "ann", "fte": 1.0, "skills": {"ba": 3}}, {"id": "bob", "fte": 1.0, "skills": {"dev": 3}}]

    def two_phases(pid, first, then):
        phases = [{"periods": 1, "demand": [{"skill": k, "hours": 8}]} for k in (first, then)]
        return {"id": pid, "mandatory": True, "depends_on": ["a"], "phases": phases}

    projects = [
        job("a"),
        two_phases("x", "ba", "dev"),
        two_phases("y", "dev", "ba"),
        job("b", after=["x", "y"]),
    ]
    data = build(parse_scenario(tiny(staff=staff, projects=projects, policy=MAKESPAN)))
    assert Span(0, 3, (1, 2)) in spans(data)
    assert (0, 3) not in delays_of(data)


@st.composite
def networks(draw: st.DrawFn) -> dict:
    """A diamond (a, then two or three projects after it, then b after those), with
    random lags, links and windows, phases with different demand, and one or two people
    with leave and part-time weeks: spans whose capacity varies and whose work has offsets."""
    middle = draw(st.integers(2, 3))
    periods = draw(st.integers(7, 8))
    ids = [f"p{j}" for j in range(middle + 2)]
    projects = [project(draw, "p0", [])]
    for j in range(1, middle + 1):
        preds = ["p0"] if draw(st.integers(0, 4)) else []  # now and then a second start
        preds += [f"p{i}" for i in range(1, j) if draw(st.integers(0, 3)) == 0]
        projects.append(project(draw, ids[j], preds))
    projects.append(project(draw, ids[-1], [p for p in ids[1:-1] if draw(st.integers(0, 4))]))
    window = draw(st.sampled_from(["open", "earliest", "latest", "fixed"]))
    target = projects[draw(st.integers(0, len(projects) - 1))]
    if window == "earliest":
        target["earliest_start"] = draw(st.integers(1, 2))
    elif window == "latest":
        target["latest_finish"] = periods - 1
    elif window == "fixed" and not target["depends_on"]:
        target["start"] = draw(st.integers(0, 1))
    calendar = {"start": "2027-04-05", "period": "week", "periods": periods, "fte_hours": 10}
    return tiny(calendar=calendar, staff=draw(people(periods)), projects=projects, policy=MAKESPAN)


def project(draw: st.DrawFn, pid: str, preds: list[str]) -> dict:
    lagged = [{"project": p, "lag": draw(st.integers(0, 1))} for p in preds]
    phases = [draw(phase()) for _ in range(draw(st.integers(1, 2)))]
    return {"id": pid, "mandatory": True, "depends_on": lagged, "phases": phases}


@st.composite
def people(draw: st.DrawFn, periods: int) -> list[dict]:
    ann = {"id": "ann", "fte": 1.0, "skills": {"ba": 3, "dev": 3}}
    if draw(st.booleans()):  # a week off: capacity that varies by period
        first = dt.date(2027, 4, 5) + dt.timedelta(weeks=draw(st.integers(0, periods - 1)))
        ann["leave"] = [{"from": first.isoformat(), "to": (first + dt.timedelta(days=4)).isoformat()}]
    staff = [ann]
    if draw(st.booleans()):
        bob = {"id": "bob", "fte": 0.5, "skills": {"dev": 3}}
        if draw(st.booleans()):
            weeks = st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=periods, max_size=periods)
            bob["fte_by_period"] = draw(weeks)
        staff.append(bob)
    return staff


@st.composite
def phase(draw: st.DrawFn) -> dict:
    skills = draw(st.lists(st.sampled_from(["ba", "dev"]), min_size=1, max_size=2, unique=True))
    demand = [{"skill": skill, "hours": draw(st.integers(4, 9))} for skill in skills]  # two can clash
    return {"periods": 1, "demand": demand}  # short, so that chains fit: offsets come from two phases


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


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
