"""The efficient frontier: levels, monotone values, valid plans, CSV and chart."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import engine
from engine import ScenarioError
from engine.batch import SolveOptions
from engine.executor import LocalExecutor
from engine.frontier import frontier, level_variants, parse_levels
from engine.variants import apply_variant
from tests import oracle
from tests.cli_helpers import capacity
from tests.conftest import EXAMPLE, NHS


def test_levels_are_low_to_high_inclusive_and_bad_ones_are_named() -> None:
    assert parse_levels("100:200:3") == [100, 150, 200]
    assert parse_levels("5:5:1") == [5]
    for bad in ("1:2", "a:2:3", "3:2:4", "1:2:0"):
        with pytest.raises(ScenarioError) as caught:
            parse_levels(bad, what="--budget")
        assert caught.value.problems[0].path == "--budget"


def test_budget_frontier_never_decreases_and_every_plan_is_valid_at_its_level() -> None:
    base = json.loads(EXAMPLE.read_text())
    levels = [200_000, 450_000, 700_000, 950_000]
    with LocalExecutor(2) as executor:
        points = frontier(
            base, levels, options=SolveOptions(time_limit=2, relative_gap=0.0), executor=executor
        )
    assert [p.level for p in points] == levels
    values = [p.value for p in points]
    assert all(v is not None for v in values) and values == sorted(values)  # type: ignore[type-var]
    assert values[0] < values[-1]  # the budget binds at the bottom
    for point, variant in zip(points, level_variants("budget", levels), strict=True):
        scenario = apply_variant(base, variant)
        assert point.plan is not None and oracle.check(scenario, point.plan) == []
        assert point.plan["metrics"]["cost"] <= point.level
        assert point.projects == [p["id"] for p in point.plan["projects"] if p["selected"]]


def test_capacity_frontier_over_one_skill() -> None:
    base = json.loads(EXAMPLE.read_text())
    with LocalExecutor(2) as executor:
        points = frontier(
            base,
            [0.5, 1.0, 1.5],
            axis="capacity",
            skill="dev",
            options=SolveOptions(time_limit=2),
            executor=executor,
        )
    values = [p.objective or 0.0 for p in points]
    assert values == sorted(values) and all(p.status in ("optimal", "feasible") for p in points)


def test_cli_frontier_writes_csv_and_chart(tmp_path: Path) -> None:
    csv, chart = tmp_path / "frontier.csv", tmp_path / "frontier.svg"
    run = capacity(
        "frontier", str(EXAMPLE), "--budget", "300000:700000:2", "--time-limit", "2", "-o", str(csv),
        "--plot", str(chart), "--workers", "2",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(csv)
    assert list(table.columns[:4]) == ["level", "value", "selected", "projects"]
    assert table["level"].tolist() == [300000, 700000] and table["value"].is_monotonic_increasing
    assert len(table["projects"][1].split(";")) == table["selected"][1]
    assert chart.read_text().startswith("<?xml")
    bad = capacity("frontier", str(EXAMPLE), "--budget", "1:2")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--budget" in bad.stderr


def test_a_level_solved_below_a_lower_one_carries_the_lower_plan() -> None:
    """The greedy on the NHS portfolio does worse at 3.612m than at 3.311m: the frontier keeps the
    3.311m plan at 3.612m (still feasible there), re-planned and valid at that level."""
    base = json.loads(NHS.read_text())
    levels = [3_311_000, 3_612_000]
    variants = level_variants("budget", levels)
    fresh = [engine.solve(apply_variant(base, v), "greedy").objective for v in variants]
    assert fresh[1] < fresh[0]  # the premise: the solver alone is not monotone here
    with LocalExecutor(2) as executor:
        points = frontier(base, levels, options=SolveOptions(solver="greedy"), executor=executor)
    assert points[0].from_level is None and points[1].from_level == 3_311_000
    assert points[1].objective == points[0].objective == fresh[0] and points[1].projects == points[0].projects
    assert points[1].status == "feasible" and points[1].plan is not None
    assert oracle.check(apply_variant(base, variants[1]), points[1].plan) == []
