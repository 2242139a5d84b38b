"""The precedence graph: critical paths, pairs that must run in order, interchangeable projects."""

from engine import parse_scenario
from engine.problem import build
from solvers.cpsat.precedence import CriticalPaths, interchangeable
from tests.conftest import tiny


def work(periods, **fields):
    return {"phases": [{"periods": periods, "demand": [{"skill": "ba", "hours": 1}]}], **fields}


def test_heads_tails_and_the_critical_path_bound():
    # a (2) -> b (1, lag 1) -> c (2); d (1) alone, from period 1
    raw = tiny(
        projects=[
            work(2, id="a"),
            work(1, id="b", depends_on=[{"project": "a", "lag": 1}]),
            work(2, id="c", depends_on=["b"]),
            work(1, id="d", earliest_start=1),
        ],
        calendar={"start": "2027-04-05", "periods": 10, "fte_hours": 10},
        policy={"objective": "makespan"},
    )
    paths = CriticalPaths(build(parse_scenario(raw)))
    assert paths.head == [0, 3, 4, 1]
    assert paths.tail == [6, 3, 2, 1]
    assert paths.lower_bound == 6
    assert sorted(paths.last) == [2, 3]
    assert paths.ordered[0, 2] and paths.ordered[2, 0] and not paths.ordered[0, 3]


def test_projects_with_different_successors_are_not_interchangeable():
    raw = tiny(
        projects=[work(1, id="a"), work(1, id="b"), work(1, id="c", depends_on=["a"])],
        policy={"objective": "makespan"},
    )
    assert interchangeable(build(parse_scenario(raw))) == []
