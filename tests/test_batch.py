"""Batches: specs, grids, outputs, failures, and the same plans on rerun and on Dask."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine import ScenarioError
from engine.batch import expand_grid, load_spec, parse_spec, run_batch
from engine.executor import LocalExecutor, make_executor
from tests import oracle
from tests.cli_helpers import capacity
from tests.conftest import EXAMPLE, ROOT


def _spec(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "base": json.loads(EXAMPLE.read_text()),
        "solve": {"time_limit": 2},
        "variants": {
            "tight": [{"set_budget": {"factor": 0.6}}],
            "broken": {"description": "a typo", "changes": [{"add_capacity": {"skill": "bz", "fte": 1}}]},
        },
        "grids": {
            "ba": {
                "parameters": {"extra": [0, 1.5], "util": [0.7, 0.85]},
                "changes": [
                    {"add_capacity": {"skill": "ba", "fte": "$extra"}},
                    {"set_max_utilisation": "$util"},
                ],
            }
        },
    }
    return spec | extra


def test_a_grid_expands_to_every_combination_in_order() -> None:
    variants = expand_grid("g", {"a": [1, 2], "b": ["x", "y z"]}, [{"set_budget": {"total": "$a"}}, "${b}!"])
    assert [v.name for v in variants] == ["g-a=1-b=x", "g-a=1-b=y_z", "g-a=2-b=x", "g-a=2-b=y_z"]
    assert variants[3].changes == ({"set_budget": {"total": 2}}, "y z!")
    assert variants[3].parameters == {"a": 2, "b": "y z"}


def test_a_spec_lists_base_variants_then_grids() -> None:
    spec = parse_spec(_spec())
    assert [v.name for v in spec.variants] == [
        "base", "tight", "broken", "ba-extra=0-util=0.7", "ba-extra=0-util=0.85", "ba-extra=1.5-util=0.7",
        "ba-extra=1.5-util=0.85",
    ]  # fmt: skip
    assert spec.options.deterministic is True


def test_bad_specs_list_their_problems() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_spec(
            _spec(grids={"g": {"parameters": {"a": [1]}, "changes": [{"set_budget": {"total": "$b"}}]}})
        )
    assert (
        str(caught.value.problems[0])
        == "grids.g.changes[0].set_budget.total: '$b' is not one of the grid's parameters"
    )
    with pytest.raises(ScenarioError) as caught:
        parse_spec(_spec(variants={"a/b": []}, colour="red"))
    assert [p.path for p in caught.value.problems] == ["colour"]
    with pytest.raises(ScenarioError) as caught:
        parse_spec(_spec(variants={"a/b": []}))
    assert caught.value.problems[0].path == "variants.a/b"
    with pytest.raises(ScenarioError) as caught:
        parse_spec(_spec(base={"calendar": {}}))
    assert caught.value.problems[0].path.startswith("base.calendar")


def _plans(folder: Path) -> dict[str, Any]:
    """Every plan in a batch folder, without its timing."""
    plans = {}
    for path in sorted(folder.glob("*.plan.json")):
        plan = json.loads(path.read_text())
        plan.pop("solve_seconds")
        plans[path.name] = plan
    return plans


def test_a_batch_writes_plans_scenarios_and_summary_and_goes_on_past_failures(tmp_path: Path) -> None:
    spec = parse_spec(_spec())
    events: list[dict[str, Any]] = []
    with LocalExecutor(2) as executor:
        rows = run_batch(spec, output=tmp_path, executor=executor, on_progress=events.append)
    assert [r["variant"] for r in rows] == [v.name for v in spec.variants]
    assert sorted(e["done"] for e in events) == list(range(1, 8)) and events[-1]["failed"] == 1
    broken = rows[2]
    assert broken["status"] == "failed" and "unknown skill 'bz'" in broken["error"]
    assert not (tmp_path / "broken.plan.json").exists()
    for row in rows[:2] + rows[3:]:
        scenario = json.loads((tmp_path / f"{row['variant']}.scenario.json").read_text())
        plan = json.loads((tmp_path / f"{row['variant']}.plan.json").read_text())
        assert oracle.check(scenario, plan) == []
        assert row["status"] in ("optimal", "feasible") and row["value"] == plan["metrics"]["value"]
    assert rows[1]["cost"] <= 0.6 * 700000 < rows[0]["cost"]
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(summary.columns[:7]) == ["variant", "status", "value", "cost", "selected", "extra", "util"]
    assert {"utilisation_ba", "utilisation_dev", "gap", "seconds", "error"} <= set(summary.columns)
    assert summary["util"].tolist()[3:] == [0.7, 0.85, 0.7, 0.85]
    assert pd.read_parquet(tmp_path / "summary.parquet")["variant"].tolist() == summary["variant"].tolist()


def test_reruns_and_dask_give_the_same_plans(tmp_path: Path, dask_scheduler: str) -> None:
    spec = parse_spec(_spec(grids={}))
    with LocalExecutor(2) as executor:
        first = run_batch(spec, output=tmp_path / "one", executor=executor)
        second = run_batch(spec, output=tmp_path / "two", executor=executor)
    with make_executor(dask_scheduler) as executor:
        on_dask = run_batch(spec, output=tmp_path / "dask", executor=executor)
    plans = _plans(tmp_path / "one")
    assert len(plans) == 2 and plans == _plans(tmp_path / "two") == _plans(tmp_path / "dask")
    untimed = [
        [{k: v for k, v in r.items() if k != "seconds"} for r in rows] for rows in (first, second, on_dask)
    ]
    assert untimed[0] == untimed[1] == untimed[2]


def test_the_shipped_example_spec_parses_on_the_nhs_scenario() -> None:
    spec = load_spec(ROOT / "scenarios" / "batch-example.yaml")
    assert len(spec.base["projects"]) == 36 and spec.base["policy"]["budget"]["total"] == 6020000
    assert len(spec.variants) == 1 + 6 + 9 and spec.options.deterministic
    from engine.variants import apply_variant

    for variant in spec.variants:
        apply_variant(spec.base, variant)  # every variant applies


def test_cli_batch_writes_the_folder_and_exits_1_when_a_variant_failed(tmp_path: Path) -> None:
    spec = _spec(grids={}, base=str(EXAMPLE))
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    run = capacity("batch", str(tmp_path / "spec.json"), "-o", str(tmp_path / "out"), "--workers", "2")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "broken" in run.stderr and "3 variant(s), 1 failed" in run.stdout
    assert sorted(p.name for p in (tmp_path / "out").glob("*.plan.json")) == [
        "base.plan.json",
        "tight.plan.json",
    ]
    missing = capacity("batch", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "x"))
    assert missing.returncode == 2 and "cannot read the file" in missing.stderr
