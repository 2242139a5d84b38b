"""Recommendations: one more FTE where it adds most, checked by solving with that person."""

from __future__ import annotations

import copy

from engine import build, parse_scenario, solve
from engine.recommend import recommend
from tests.conftest import tiny


def crowded() -> dict:
    """Two analysis projects, room for one; development has spare capacity."""
    phases = [{"periods": 3, "demand": [{"skill": "ba", "hours": 8}]}]
    document = tiny(
        projects=[
            {"id": "first", "value": 100, "phases": phases},
            {"id": "second", "value": 80, "phases": phases},
            {
                "id": "build",
                "value": 10,
                "phases": [{"periods": 2, "demand": [{"skill": "dev", "hours": 2}]}],
            },
        ]
    )
    document["calendar"]["periods"] = 4
    return document


def test_the_bottleneck_skill_comes_first_with_what_it_lets_in() -> None:
    document = crowded()
    scenario = parse_scenario(document)
    plan = solve(scenario, time_limit=5, deterministic=True)
    found = recommend(scenario, plan, time_limit=5, deterministic=True)
    assert [r.skill for r in found] == ["ba"]
    best = found[0]
    assert best.lets_in == ["second"] and best.value_gain == 80
    assert best.from_period == 1  # the latest start that still lets it in (it runs periods 1-3)
    assert "lets in 'second'" in best.text

    with_person = copy.deepcopy(document)
    horizon = document["calendar"]["periods"]
    with_person["staff"].append(
        {
            "id": "new",
            "fte": 1,
            "skills": {"ba": 1},
            "fte_by_period": [0.0 if t < 1 else 1.0 for t in range(horizon)],
        }
    )
    again = solve(with_person, time_limit=5, deterministic=True)
    assert again.objective == plan.objective + best.value_gain


def test_no_recommendation_where_nothing_is_short() -> None:
    document = tiny()
    scenario = parse_scenario(document)
    plan = solve(scenario, time_limit=5, deterministic=True)
    assert all(p.selected for p in plan.projects)
    assert recommend(scenario, plan, time_limit=2, deterministic=True) == []
    assert build(scenario).num_projects == 2
