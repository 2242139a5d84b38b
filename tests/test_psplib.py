"""PSPLIB import: instances become valid makespan scenarios; bad files name the line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import ScenarioError, check_plan, parse_scenario, solve, validate
from engine.psplib import import_psplib, parse_psplib, to_scenario
from tests import oracle

J30 = Path("/work/shared/bench/psplib/j30")
needs_j30 = pytest.mark.skipif(not J30.is_dir(), reason="the PSPLIB j30 set is not on this machine")

# Job 1 is the dummy source, job 4 takes no time (dropped, precedence carried through it),
# job 6 the dummy sink. Job 5 must follow job 2 through job 4.
TINY = """\
************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  6
horizon                       :  12
RESOURCES
  - renewable                 :  2   R
  - nonrenewable              :  0   N
  - doubly constrained        :  0   D
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           6
   4        1          1           5
   5        1          1           6
   6        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  R 2
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     3       2    0
  3      1     2       1    1
  4      1     0       0    0
  5      1     4       0    2
  6      1     0       0    0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1  R 2
    2    2
************************************************************************
"""


def tiny_scenario() -> dict:
    return to_scenario(parse_psplib(TINY, source="tiny.sm", name="tiny"))


def test_resources_become_pools_and_real_jobs_mandatory_projects():
    scenario = tiny_scenario()
    assert scenario["calendar"]["periods"] == 12 and scenario["calendar"]["fte_hours"] == 1
    assert [(s["id"], s["fte"], s["skills"]) for s in scenario["staff"]] == [
        ("pool-R1", 2, {"R1": 1}),
        ("pool-R2", 2, {"R2": 1}),
    ]
    projects = {p["id"]: p for p in scenario["projects"]}
    assert sorted(projects) == ["job2", "job3", "job5"]  # dummies and the zero-time job dropped
    assert all(p["mandatory"] for p in projects.values())
    assert projects["job3"]["phases"] == [
        {"periods": 2, "demand": [{"skill": "R1", "hours": 1}, {"skill": "R2", "hours": 1}]}
    ]
    assert projects["job5"]["depends_on"] == ["job2"]  # carried through job 4
    assert projects["job2"]["depends_on"] == [] and scenario["policy"]["objective"] == "makespan"


def test_the_imported_tiny_instance_solves_to_its_optimum():
    scenario = tiny_scenario()
    plan = solve(scenario, time_limit=5, deterministic=True)
    # job3 overlaps neither job2 (R1) nor job5 (R2), and job5 follows job2: 2 + 3 + 4
    assert plan.status == "optimal" and plan.objective == 9
    assert check_plan(parse_scenario(scenario), plan) == []
    assert oracle.check(scenario, plan.model_dump(mode="json")) == []


@needs_j30
def test_a_real_j30_instance_imports_and_validates():
    scenario = import_psplib(J30 / "j301_1.sm")
    parsed, problems = validate(scenario)
    assert parsed is not None and problems == []
    assert len(scenario["projects"]) == 30 and scenario["calendar"]["periods"] == 158
    assert [s["fte"] for s in scenario["staff"]] == [12, 13, 4, 12]
    job11 = next(p for p in scenario["projects"] if p["id"] == "job11")
    assert job11["depends_on"] == ["job2"]
    assert job11["phases"] == [{"periods": 9, "demand": [{"skill": "R2", "hours": 5}]}]
    # jobs 2, 3 and 4 follow only the dummy source: no dependencies left
    assert all(p["depends_on"] == [] for p in scenario["projects"] if p["id"] in ("job2", "job3", "job4"))


def broken(old: str, new: str) -> str:
    assert old in TINY
    return TINY.replace(old, new, 1)


def line_of(text: str, fragment: str) -> int:
    return next(i + 1 for i, line in enumerate(text.splitlines()) if fragment in line)


PRECEDENCE_2 = "   2        1          1           4"
PRECEDENCE_5 = "   5        1          1           6"
REQUEST_3 = "  3      1     2       1    1"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (REQUEST_3, "  3      1     2       x    1", "'x' in the duration and requests of job 3"),
        ("  5      1     4       0    2", "  5      1     4       0", "should have 5 numbers, not 4"),
        ("   4        1          1           5", "   4        3          1           5", "3 modes"),
        (PRECEDENCE_2, "   2        1          2           4", "lists 1 successors but says it has 2"),
        (PRECEDENCE_5, "   5        1          1           9", "successor 9, but jobs are numbered 1 to 6"),
    ],
)
def test_malformed_rows_are_reported_at_their_line(old, new, message):
    text = broken(old, new)
    with pytest.raises(ScenarioError) as caught:
        parse_psplib(text, source="bad.sm")
    [problem] = caught.value.problems
    assert problem.path == f"bad.sm:{line_of(text, new)}"
    assert message in problem.message


def test_a_precedence_cycle_is_reported_at_a_job_on_it():
    text = broken(PRECEDENCE_5, "   5        1          1           2")
    with pytest.raises(ScenarioError, match="precedence cycle through job 2") as caught:
        parse_psplib(text, source="bad.sm")
    assert caught.value.problems[0].path == f"bad.sm:{line_of(text, PRECEDENCE_2)}"


def test_a_missing_section_is_named():
    text = TINY[: TINY.index("RESOURCEAVAILABILITIES")]
    with pytest.raises(ScenarioError, match="no RESOURCEAVAILABILITIES section"):
        parse_psplib(text, source="cut.sm")


def capacity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_import_writes_a_scenario_that_validates(tmp_path):
    instance, scenario = tmp_path / "tiny.sm", tmp_path / "tiny.json"
    instance.write_text(TINY)
    run = capacity("import", "psplib", str(instance), "-o", str(scenario))
    assert run.returncode == 0, run.stderr
    assert json.loads(scenario.read_text())["name"] == "tiny"
    assert capacity("validate", str(scenario)).returncode == 0


def test_cli_import_of_a_malformed_file_exits_2_without_a_traceback(tmp_path):
    instance = tmp_path / "bad.sm"
    instance.write_text(broken(REQUEST_3, "  3      1     2       x    1"))
    run = capacity("import", "psplib", str(instance))
    assert run.returncode == 2
    assert f"bad.sm:{line_of(instance.read_text(), '2       x')}" in run.stderr
    assert "Traceback" not in run.stderr


@needs_j30
def test_the_genetic_benchmark_stops_at_its_count_of_schedules_and_repeats():
    from benchmarks import genetic

    first, again = (genetic.run_instance(J30 / "j3013_1.sm", 600, seed=0) for _ in range(2))
    assert first["makespan"] == again["makespan"] and first["schedules"] == again["schedules"]
    assert 580 <= first["schedules"] <= 600 + 2 * genetic.SCHEDULES_PER_DECODE  # children come in pairs
    assert first["makespan"] >= 58  # the instance's known optimum (j30opt.sm)
    total = genetic.summary([{**first, "known": 58}])
    assert total["mean_deviation_pct"] == round(100 * (first["makespan"] - 58) / 58, 3)
