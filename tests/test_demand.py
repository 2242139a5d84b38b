"""Capacity against demand, hand-computed on a tiny scenario."""

from engine.demand import capacity_vs_demand, earliest_starts, unservable_hours
from engine.problem import build
from engine.validation import parse_scenario
from tests.conftest import tiny


def test_demand_and_capacity_per_skill_and_period():
    data = build(parse_scenario(tiny()))
    frame = capacity_vs_demand(data).set_index(["skill", "period"])
    # p1: 6 h ba in periods 0-1; p2: 0.5 FTE (5 h) dev in periods 0-2.
    assert frame.loc[("ba", 0), "demand_hours"] == 6.0
    assert frame.loc[("ba", 2), "demand_hours"] == 0.0
    assert frame.loc[("dev", 2), "demand_hours"] == 5.0
    # Ann (1.0, ba+dev) counts under both skills; Bob (0.5) under dev only.
    assert frame.loc[("ba", 0), "capacity_hours"] == 10.0
    assert frame.loc[("dev", 0), "capacity_hours"] == 15.0
    assert frame.loc[("ba", 0), "gap_hours"] == 4.0
    assert frame.loc[("dev", 0), "utilisation"] == 5 / 15


def test_unservable_hours_count_each_person_once():
    # Ann alone holds ba and dev: 8 h of each in period 0 cannot both be served.
    data = build(
        parse_scenario(
            tiny(
                staff=[{"id": "ann", "skills": {"ba": 1, "dev": 1}}],
                projects=[
                    {"id": "a", "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 8}]}]},
                    {"id": "b", "phases": [{"periods": 1, "demand": [{"skill": "dev", "hours": 8}]}]},
                ],
            )
        )
    )
    frame = capacity_vs_demand(data)
    assert (frame[frame.period == 0].gap_hours == 2.0).all()  # per skill it looks fine...
    assert unservable_hours(data).tolist()[:2] == [6.0, 0.0]  # ...but 6 h cannot be served


def test_projects_start_after_their_predecessors_earliest_finish():
    raw = tiny()
    raw["projects"][1]["depends_on"] = [{"project": "p1", "lag": 1}]
    data = build(parse_scenario(raw))
    assert earliest_starts(data) == {0: 0, 1: 3}
