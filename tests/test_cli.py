"""The command line, run as a real process: exit codes, files written, no tracebacks."""

import json
import subprocess
import sys

import pytest

from tests import oracle
from tests.conftest import EXAMPLE, tiny


def capacity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_solve_writes_a_plan_that_check_accepts(tmp_path):
    plan = tmp_path / "plan.json"
    run = capacity("solve", str(EXAMPLE), "--solver", "greedy", "-o", str(plan))
    assert run.returncode == 0, run.stderr
    assert "projects selected" in run.stdout
    assert oracle.check(json.loads(EXAMPLE.read_text()), json.loads(plan.read_text())) == []
    check = capacity("check", str(EXAMPLE), str(plan))
    assert check.returncode == 0 and "valid plan" in check.stdout


def test_check_rejects_a_broken_plan_with_exit_1(tmp_path):
    plan_path = tmp_path / "plan.json"
    capacity("solve", str(EXAMPLE), "--solver", "greedy", "-o", str(plan_path))
    plan = json.loads(plan_path.read_text())
    plan["assignments"][0]["hours"] += 100
    plan_path.write_text(json.dumps(plan))
    run = capacity("check", str(EXAMPLE), str(plan_path))
    assert run.returncode == 1
    assert "over capacity" in run.stderr


def test_quiet_solve_prints_the_plan_json():
    run = capacity("solve", str(EXAMPLE), "--solver", "greedy", "--quiet")
    assert run.returncode == 0
    assert json.loads(run.stdout)["status"] == "feasible"


def test_validate_lists_every_problem_and_exits_2(tmp_path):
    broken = tiny()
    broken["projects"][0]["value"] = -1
    broken["projects"][1]["phases"][0]["demand"][0]["skill"] = "bz"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(broken))
    run = capacity("validate", str(path))
    assert run.returncode == 2
    assert "projects[0].value: must be at least 0.0, not -1" in run.stderr
    assert "projects[1].phases[0].demand[0].skill: unknown skill 'bz'" in run.stderr
    assert capacity("validate", str(EXAMPLE)).returncode == 0


def test_demand_table_and_csv(tmp_path):
    csv = tmp_path / "demand.csv"
    run = capacity("demand", str(EXAMPLE), "--csv", str(csv))
    assert run.returncode == 0, run.stderr
    assert "Capacity vs demand" in run.stdout
    header = csv.read_text().splitlines()[0]
    assert header == "skill,period,start,demand_hours,capacity_hours,gap_hours,utilisation"


@pytest.mark.parametrize("kind", ["scenario", "plan"])
def test_schema_prints_json_schema(kind):
    run = capacity("schema", kind)
    assert run.returncode == 0
    assert "properties" in json.loads(run.stdout)


@pytest.mark.parametrize(
    ("content", "suffix"),
    [
        ("{not json", ".json"),
        ("a: [1,", ".yaml"),
        ("[]", ".json"),
        ('{"calendar": 5}', ".json"),
        ("", ".yaml"),
        ("\x00\x01", ".json"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "solve", "demand"])
def test_no_input_gives_a_traceback(tmp_path, content, suffix, command):
    path = tmp_path / f"s{suffix}"
    path.write_text(content)
    run = capacity(command, str(path))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stderr.strip()


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ('"hours": 6', '"hours": 1e999', "projects[0].phases[0].demand[0].hours: must be a finite number"),
        ('"value": 50', '"value": NaN', "projects[1].value: must be a finite number"),
        ('"fte": 0.5,', '"fte": 1e300,', "staff[1].fte: must be at most 100,000, not 1e+300"),
        ('"periods": 6', '"periods": true', "calendar.periods: must be a whole number, not true"),
        (
            '"objective": "value"',
            '"seed": 2147483648',
            "policy.seed: must be at most 2147483647, not 2147483648",
        ),
    ],
)
@pytest.mark.parametrize("command", ["validate", "solve"])
def test_numbers_the_engine_cannot_hold_exit_2_naming_the_field(tmp_path, old, new, error, command):
    text = json.dumps(tiny())
    assert old in text
    path = tmp_path / "s.json"
    path.write_text(text.replace(old, new))
    run = capacity(command, str(path), *(["--quiet"] if command == "solve" else []))
    assert run.returncode == 2, run.stderr
    assert error in run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr


def test_missing_files_and_bad_plan_give_clear_errors(tmp_path):
    run = capacity("check", str(EXAMPLE), str(tmp_path / "nope.json"))
    assert run.returncode == 2 and "cannot read the file" in run.stderr
    bad = tmp_path / "plan.json"
    bad.write_text('{"status": "maybe"}')
    run = capacity("check", str(EXAMPLE), str(bad))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "scenario: is required" in run.stderr


def test_cpsat_solve_is_the_default_and_deterministic_mode_repeats(tmp_path):
    plans = []
    for name in ("a.json", "b.json"):
        out = tmp_path / name
        run = capacity(
            "solve", str(EXAMPLE), "--time-limit", "3", "--deterministic", "--seed", "1", "-q", "-o", str(out)
        )
        assert run.returncode == 0, run.stderr
        plans.append(json.loads(out.read_text()))
    assert plans[0]["solver"] == "cp-sat" and plans[0]["status"] == "optimal"
    for plan in plans:
        plan.pop("solve_seconds")
    assert plans[0] == plans[1]


def test_infeasible_scenario_exits_1_with_the_conflict(tmp_path):
    raw = tiny(
        staff=[{"id": "ann", "skills": {"ba": 3}}],
        projects=[
            {"id": "a", "start": 0, "phases": [{"periods": 2, "demand": [{"skill": "ba", "hours": 8}]}]},
            {
                "id": "b",
                "mandatory": True,
                "latest_finish": 1,
                "phases": [{"periods": 1, "demand": [{"skill": "ba", "hours": 8}]}],
            },
        ],
    )
    path = tmp_path / "s.json"
    path.write_text(json.dumps(raw))
    run = capacity("solve", str(path), "--time-limit", "2", "--deterministic")
    assert run.returncode == 1
    assert "infeasible" in run.stdout and "conflict: 'a' and 'b' cannot all be planned" in run.stdout


def test_explain_shows_what_would_let_each_project_in_and_apply_writes_it(tmp_path):
    plan = tmp_path / "plan.json"
    assert capacity("solve", str(EXAMPLE), "--solver", "greedy", "-o", str(plan), "--quiet").returncode == 0
    out = [p["id"] for p in json.loads(plan.read_text())["projects"] if not p["selected"]]
    table = capacity("explain", str(EXAMPLE), str(plan))
    assert table.returncode == 0 and all(pid in table.stdout for pid in out)
    listed = json.loads(capacity("explain", str(EXAMPLE), str(plan), "--json").stdout)
    assert [row["project"] for row in listed] == out
    assert all(row["text"] and row["explanation"]["code"] for row in listed)

    new = tmp_path / "with-extra.json"
    applied = capacity("explain", str(EXAMPLE), str(plan), "--project", out[0], "--apply", "-o", str(new))
    assert applied.returncode == 0, applied.stderr
    scenario = json.loads(new.read_text())
    assert next(p for p in scenario["projects"] if p["id"] == out[0])["mandatory"] is True
    solved = capacity("solve", str(new), "--solver", "greedy", "--quiet")
    assert solved.returncode == 0, solved.stderr
    assert next(p for p in json.loads(solved.stdout)["projects"] if p["id"] == out[0])["selected"]


def test_explain_refuses_apply_without_a_project_and_a_selected_project(tmp_path):
    plan = tmp_path / "plan.json"
    capacity("solve", str(EXAMPLE), "--solver", "greedy", "-o", str(plan), "--quiet")
    assert capacity("explain", str(EXAMPLE), str(plan), "--apply").returncode == 2
    chosen = next(p["id"] for p in json.loads(plan.read_text())["projects"] if p["selected"])
    run = capacity("explain", str(EXAMPLE), str(plan), "--project", chosen)
    assert run.returncode == 2 and "already in the plan" in run.stderr and "Traceback" not in run.stderr


def test_solve_recommend_adds_a_ranked_list_to_the_plan(tmp_path):
    from tests.test_recommend import crowded

    scenario, plan = tmp_path / "crowded.json", tmp_path / "plan.json"
    scenario.write_text(json.dumps(crowded()))
    run = capacity(
        "solve", str(scenario), "--time-limit", "2", "--deterministic", "--recommend", "-o", str(plan)
    )
    assert run.returncode == 0, run.stderr
    recommendations = json.loads(plan.read_text())["recommendations"]
    assert [r["skill"] for r in recommendations] == ["ba"] and recommendations[0]["value_gain"] == 80
    assert recommendations[0]["text"] in run.stdout
