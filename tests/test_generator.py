"""Tests for the random portfolio generator (benchmarks/generator.py).

The checks here recompute everything from the emitted JSON with plain Python (dates,
working days, capacity), so they do not share the generator's numpy code paths.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from benchmarks.generator import FORCED_LOAD_LIMIT, SIZES, Size, generate, main

TINY = Size(projects=4, staff=5, skills=3, periods=10)
Scenario = dict[str, Any]


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + year, month=month + 1)


def _periods(cal: dict[str, Any]) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of every period."""
    start = dt.date.fromisoformat(cal["start"])
    out = []
    for t in range(cal["periods"]):
        if cal["period"] == "week":
            first = start + dt.timedelta(days=7 * t)
            out.append((first, first + dt.timedelta(days=6)))
        else:
            out.append((_add_months(start, t), _add_months(start, t + 1) - dt.timedelta(days=1)))
    return out


def _period_of(cal: dict[str, Any], value: int | str | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, int):
        return value
    day = dt.date.fromisoformat(value)
    return next(t for t, (a, b) in enumerate(_periods(cal)) if a <= day <= b)


def _workdays(first: dt.date, last: dt.date) -> int:
    return sum((first + dt.timedelta(days=k)).weekday() < 5 for k in range((last - first).days + 1))


def _capacity(sc: Scenario) -> dict[str, list[float]]:
    """Hours per person per period available to projects, as FORMAT.md defines it."""
    cal, periods = sc["calendar"], _periods(sc["calendar"])
    utilisation = sc["policy"].get("max_utilisation", 1.0)
    out = {}
    for person in sc["staff"]:
        fte = person.get("fte_by_period") or [person["fte"]] * len(periods)
        row = []
        for t, (first, last) in enumerate(periods):
            off = 0
            for block in person.get("leave", []):
                a = max(dt.date.fromisoformat(block["from"]), first)
                b = min(dt.date.fromisoformat(block["to"]), last)
                off += _workdays(a, b) if a <= b else 0
            share = min(off / _workdays(first, last), 1.0)
            row.append(fte[t] * cal["fte_hours"] * (1 - share) * utilisation)
        out[person["id"]] = row
    return out


def _hours(item: dict[str, Any], fte_hours: float) -> float:
    return item["fte"] * fte_hours if "fte" in item else item["hours"]


def _predecessors(project: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (d, 0) if isinstance(d, str) else (d["project"], d.get("lag", 0))
        for d in project.get("depends_on", [])
    ]


def _length(project: dict[str, Any]) -> int:
    return sum(phase["periods"] for phase in project["phases"])


def _forced(project: dict[str, Any]) -> bool:
    return bool(project.get("mandatory")) or project.get("start") is not None


def _earliest_starts(sc: Scenario) -> dict[str, int]:
    """Earliest start of every project after its predecessors (fixed starts are fixed)."""
    cal = sc["calendar"]
    es: dict[str, int] = {}
    length = {p["id"]: _length(p) for p in sc["projects"]}
    for p in sc["projects"]:
        chain = [es[q] + length[q] + lag for q, lag in _predecessors(p)]
        own = _period_of(cal, p.get("earliest_start"), 0)
        if p.get("start") is not None:
            assert p["start"] >= max([own, *chain]), f"{p['id']} starts before its predecessors finish"
            es[p["id"]] = p["start"]
        else:
            es[p["id"]] = max([own, *chain])
    return es


def _assert_structure(sc: Scenario) -> None:
    """Unique ids, valid references, dependencies only to earlier projects (acyclic)."""
    for kind in ("skills", "staff", "projects", "drivers"):
        ids = [x["id"] for x in sc[kind]]
        assert len(ids) == len(set(ids)), f"duplicate {kind} ids"
    skills = {s["id"] for s in sc["skills"]}
    drivers = {d["id"] for d in sc["drivers"]}
    seen: set[str] = set()
    for p in sc["projects"]:
        for q, lag in _predecessors(p):
            assert q in seen, f"{p['id']} depends on {q}, which is not an earlier project"
            assert 0 <= lag <= 2
        seen.add(p["id"])
        assert set(p["scores"]) <= drivers and 3 <= len(p["scores"]) <= 4
        assert 1 <= len(p["phases"]) <= 4
        for phase in p["phases"]:
            assert 1 <= phase["periods"] <= 12
            assert 1 <= len(phase["demand"]) <= 5
            assert len({d["skill"] for d in phase["demand"]}) == len(phase["demand"])
            assert {d["skill"] for d in phase["demand"]} <= skills
    for person in sc["staff"]:
        assert set(person["skills"]) <= skills and 1 <= len(person["skills"]) <= 3
        assert all(1 <= lv <= 5 for lv in person["skills"].values())


def _assert_demand_is_held(sc: Scenario) -> None:
    """Every demanded (skill, min_level) is held by someone at that level or above."""
    best: dict[str, int] = defaultdict(int)
    for person in sc["staff"]:
        for skill, level in person["skills"].items():
            best[skill] = max(best[skill], level)
    for p in sc["projects"]:
        for phase in p["phases"]:
            for d in phase["demand"]:
                assert best[d["skill"]] >= d.get("min_level", 1), (p["id"], d)


def _assert_windows(sc: Scenario) -> None:
    """Each project fits its window after its predecessors; mandatory/fixed chains are forced."""
    cal, horizon = sc["calendar"], sc["calendar"]["periods"]
    es = _earliest_starts(sc)
    forced = {p["id"] for p in sc["projects"] if _forced(p)}
    for p in sc["projects"]:
        deadline = _period_of(cal, p.get("latest_finish"), horizon - 1) + 1
        assert es[p["id"]] + _length(p) <= min(deadline, horizon), f"{p['id']} does not fit its window"
        if p["id"] in forced:
            assert {q for q, _ in _predecessors(p)} <= forced, f"{p['id']} depends on optional work"


def _forced_load(sc: Scenario) -> float:
    """Largest share of split capacity that mandatory + fixed work takes at its earliest starts.

    Split capacity gives each person's hours evenly to their skills; at level l it counts
    holders at level >= l against demand needing level >= l.
    """
    cal, capacity, es = sc["calendar"], _capacity(sc), _earliest_starts(sc)
    horizon = cal["periods"]
    split: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0] * horizon)
    for person in sc["staff"]:
        for skill, level in person["skills"].items():
            for lv in range(1, level + 1):
                for t in range(horizon):
                    split[skill, lv][t] += capacity[person["id"]][t] / len(person["skills"])
    load: dict[tuple[str, int], list[float]] = defaultdict(lambda: [0.0] * horizon)
    for p in filter(_forced, sc["projects"]):
        t0 = es[p["id"]]
        for phase in p["phases"]:
            for d in phase["demand"]:
                for lv in range(1, d.get("min_level", 1) + 1):
                    for t in range(t0, t0 + phase["periods"]):
                        load[d["skill"], lv][t] += _hours(d, cal["fte_hours"])
            t0 += phase["periods"]
    worst = 0.0
    for key, row in load.items():
        for t, hours in enumerate(row):
            if hours > 0:
                assert split[key][t] > 0, f"no capacity for forced demand {key} in period {t}"
                worst = max(worst, hours / split[key][t])
    return worst


def _demand_ratio(sc: Scenario) -> float:
    fte_hours = sc["calendar"]["fte_hours"]
    demand = sum(
        _hours(d, fte_hours) * phase["periods"]
        for p in sc["projects"]
        for phase in p["phases"]
        for d in phase["demand"]
    )
    return demand / sum(sum(row) for row in _capacity(sc).values())


CASES = [
    pytest.param("S", 0, {}, id="S-0"),
    pytest.param("S", 1, {"period": "month"}, id="S-1-month"),
    pytest.param("M", 2, {}, id="M-2"),
    pytest.param(TINY, 3, {"mandatory_share": 0.5, "fixed_share": 0.25}, id="tiny-forced"),
    pytest.param(TINY, 4, {"dependency_share": 1.0}, id="tiny-deps"),
]


def test_same_seed_gives_the_same_scenario_and_another_seed_does_not() -> None:
    assert generate("S", 7) == generate("S", 7)
    assert generate("S", 7) != generate("S", 8)


@pytest.mark.parametrize(("size", "seed", "options"), CASES)
def test_generated_scenarios_keep_the_structural_invariants(
    size: Size | str, seed: int, options: dict[str, Any]
) -> None:
    sc = generate(size, seed, **options)
    _assert_structure(sc)
    _assert_demand_is_held(sc)
    _assert_windows(sc)
    assert _forced_load(sc) <= FORCED_LOAD_LIMIT + 1e-6


@pytest.mark.parametrize(("size", "seed", "options"), CASES)
def test_forced_work_fits_the_budget_and_the_budget_binds(
    size: Size | str, seed: int, options: dict[str, Any]
) -> None:
    sc = generate(size, seed, **options)
    budget = sc["policy"]["budget"]["total"]
    total = sum(p["cost"] for p in sc["projects"])
    forced = sum(p["cost"] for p in sc["projects"] if _forced(p))
    assert forced * 1.2 <= budget
    assert budget <= max(0.6 * total, forced * 1.2) + 1000


@pytest.mark.parametrize("size", ["S", "M"])
@pytest.mark.parametrize("seed", [0, 5])
def test_total_demand_is_the_requested_multiple_of_capacity(size: str, seed: int) -> None:
    assert _demand_ratio(generate(size, seed)) == pytest.approx(1.7, rel=0.15)
    assert _demand_ratio(generate(size, seed, demand_ratio=1.2)) == pytest.approx(1.2, rel=0.15)


@pytest.mark.parametrize("size", ["S", "M"])
def test_standard_sizes_have_mandatory_in_flight_and_dependent_projects(size: str) -> None:
    sc = generate(size, 0)
    dims = SIZES[size]
    assert (len(sc["projects"]), len(sc["staff"]), len(sc["skills"])) == (
        dims.projects,
        dims.staff,
        dims.skills,
    )
    assert any(p.get("mandatory") for p in sc["projects"])
    assert any(p.get("start") is not None for p in sc["projects"])
    assert any(p.get("depends_on") for p in sc["projects"])


def test_staff_look_like_a_real_workforce() -> None:
    staff = generate("M", 1)["staff"]
    pools = [s for s in staff if s["fte"] > 1]
    people = [s for s in staff if s["fte"] <= 1]
    assert 0.01 <= len(pools) / len(staff) <= 0.06
    assert all(2 <= s["fte"] <= 10 for s in pools)
    assert {s["fte"] for s in people} <= {1.0, 0.8, 0.6, 0.5, 0.4}
    assert sum(s["fte"] == 1.0 for s in people) > len(people) / 2
    assert any(s.get("leave") for s in people) and any(s.get("fte_by_period") for s in people)
    levels = [lv for s in staff for lv in s["skills"].values()]
    assert sum(lv in (2, 3) for lv in levels) > len(levels) / 2


def test_projects_take_at_most_forty_percent_of_the_horizon() -> None:
    sc = generate("S", 2)
    assert max(_length(p) for p in sc["projects"]) <= 0.4 * sc["calendar"]["periods"]


def test_unknown_size_or_period_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown size"):
        generate("XXL")
    with pytest.raises(ValueError, match="period"):
        generate(TINY, period="day")


def test_command_line_writes_the_same_scenario(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    main(["S", "--seed", "1", "-o", str(out)])
    assert json.loads(out.read_text(encoding="utf-8")) == generate("S", 1)
