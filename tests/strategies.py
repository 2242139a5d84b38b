"""Hypothesis strategies: small random scenarios in the FORMAT.md shape (plain dicts)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SKILLS = ["ba", "dev", "pm"]


@st.composite
def scenarios(
    draw: st.DrawFn, *, max_projects: int = 5, objective: str | None = None, budget: str | None = None
) -> dict[str, Any]:
    """A tiny, valid scenario: a few people, projects, windows, dependencies and a budget (a
    total, per period or per financial year; ``budget`` names the kind to always have)."""
    periods = draw(st.integers(4, 8))
    skills = SKILLS[: draw(st.integers(1, 3))]
    staff = [draw(_person(i, skills, periods)) for i in range(draw(st.integers(1, 4)))]
    num = draw(st.integers(1, max_projects))
    projects = [draw(_project(j, skills, periods)) for j in range(num)]
    for j, project in enumerate(projects):  # dependencies only on earlier projects: acyclic
        if j and draw(st.booleans()) and draw(st.booleans()):
            pred = draw(st.integers(0, j - 1))
            project["depends_on"] = [{"project": f"p{pred}", "lag": draw(st.integers(0, 1))}]
    policy: dict[str, Any] = {
        "objective": objective or draw(st.sampled_from(["value", "priority", "makespan"]))
    }
    calendar: dict[str, Any] = {}
    kinds = {"total": 0, "by_period": 1, "by_year": 2}  # or none
    kind = kinds[budget] if budget else draw(st.integers(0, 5))
    if kind == 0:
        policy["budget"] = {"total": draw(st.integers(50, 300))}
    elif kind == 1:
        policy["budget"] = {"by_period": [draw(st.integers(10, 80)) for _ in range(periods)]}
    elif kind == 2:  # two financial years, the second from the third week
        calendar["year_start"] = "04-19"
        years = {"2026": draw(st.integers(20, 120)), "2027": draw(st.integers(30, 200))}
        policy["budget"] = {"by_year": years}
    if draw(st.booleans()):
        policy["max_utilisation"] = draw(st.sampled_from([0.5, 0.8, 1.0]))
    drivers = [{"id": "d1", "weight": 2}, {"id": "d2", "weight": 1}]
    raw = _scenario("random", periods, skills, staff, projects, policy) | {"drivers": drivers}
    raw["calendar"].update(calendar)
    return raw


@st.composite
def _person(draw: st.DrawFn, i: int, skills: list[str], periods: int) -> dict[str, Any]:
    held = draw(st.lists(st.sampled_from(skills), min_size=1, max_size=len(skills), unique=True))
    person: dict[str, Any] = {
        "id": f"s{i}",
        "fte": draw(st.sampled_from([1.0, 2.0, 0.5])),
        "skills": {s: draw(st.sampled_from([3, 2, 4, 1])) for s in held},
        "cost_per_hour": draw(st.integers(0, 3)),
    }
    if draw(st.booleans()):
        first = draw(st.integers(0, periods * 7 - 1))
        person["leave"] = [{"from": _day(first), "to": _day(first + draw(st.integers(0, 9)))}]
    return person


@st.composite
def _project(draw: st.DrawFn, j: int, skills: list[str], periods: int) -> dict[str, Any]:
    phases = []
    for _ in range(draw(st.integers(1, 2))):
        demand = [
            {
                "skill": s,
                "hours": draw(st.sampled_from([2.5, 4, 1, 6, 9])),
                "min_level": draw(st.sampled_from([1, 2, 3])),
            }
            for s in draw(st.lists(st.sampled_from(skills), min_size=1, max_size=2, unique=True))
        ]
        phases.append({"periods": draw(st.integers(1, 2)), "demand": demand})
    length = sum(p["periods"] for p in phases)
    project: dict[str, Any] = {
        "id": f"p{j}",
        "value": draw(st.integers(1, 100)),
        # a hundredth spread over 2 or 4 periods, or anything over 3, is not whole hundredths a period
        "cost": draw(st.integers(0, 100)) + draw(st.sampled_from([0, 0, 0.01, 0.5])),
        "scores": {"d1": draw(st.integers(0, 5)), "d2": draw(st.integers(0, 5))},
        "phases": phases,
    }
    if draw(st.booleans()):
        project["earliest_start"] = draw(st.integers(0, periods - length))
    if draw(st.booleans()):
        project["cost_of_delay"] = draw(st.integers(0, 20))
    kind = draw(st.integers(0, 7))  # now and then a mandatory or in-flight project
    if kind == 0:
        project["mandatory"] = True
    elif kind == 1:
        project["start"] = draw(st.integers(project.get("earliest_start", 0), periods - length))
    return project


def _scenario(
    name: str, periods: int, skills: list[str], staff: list, projects: list, policy: dict
) -> dict[str, Any]:
    """A scenario of weekly periods of 10 hours from 2027-04-05."""
    return {
        "name": name,
        "calendar": {"start": "2027-04-05", "period": "week", "periods": periods, "fte_hours": 10},
        "skills": [{"id": s} for s in skills],
        "staff": staff,
        "projects": projects,
        "policy": policy,
    }


def _day(offset: int) -> str:
    import datetime as dt

    return (dt.date(2027, 4, 5) + dt.timedelta(days=offset)).isoformat()


@st.composite
def schedules_to_make(draw: st.DrawFn, *, max_projects: int = 6) -> dict[str, Any]:
    """A makespan scenario where projects compete: one to three people (part-time, several
    skills, leave), projects of one or two phases on one or two skills, dependencies with
    lags, some windows and fixed starts, and a horizon just long enough to run them one
    after another."""
    skills = SKILLS[: draw(st.integers(1, 2))]
    projects = [draw(_work(j, skills)) for j in range(draw(st.integers(2, max_projects)))]
    for j, project in enumerate(projects):
        if j and draw(st.integers(0, 2)) == 0:
            project["depends_on"] = [
                {"project": f"p{draw(st.integers(0, j - 1))}", "lag": draw(st.integers(0, 1))}
            ]
    periods = sum(sum(p["periods"] for p in project["phases"]) + 1 for project in projects)
    for project in projects:  # now and then a window or a fixed start
        length = sum(p["periods"] for p in project["phases"])
        kind = draw(st.integers(0, 5))
        if kind == 1:
            project["earliest_start"] = draw(st.integers(0, periods // 2))
        elif kind == 2:
            project["latest_finish"] = draw(st.integers(length - 1, periods - 1))
        elif kind == 3:
            project["start"] = draw(st.integers(0, periods - length))
    staff = [draw(_person(i, skills, periods)) for i in range(draw(st.integers(1, 3)))]
    return _scenario("schedule", periods, skills, staff, projects, {"objective": "makespan"})


@st.composite
def _work(draw: st.DrawFn, j: int, skills: list[str]) -> dict[str, Any]:
    phases = [
        {
            "periods": draw(st.integers(1, 3)),
            "demand": [
                {"skill": s, "hours": draw(st.integers(2, 10)), "min_level": draw(st.sampled_from([1, 1, 2]))}
                for s in draw(st.lists(st.sampled_from(skills), min_size=1, max_size=2, unique=True))
            ],
        }
        for _ in range(draw(st.integers(1, 2)))
    ]
    return {"id": f"p{j}", "phases": phases}
