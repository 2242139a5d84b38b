"""Scale benchmark: each step of planning a generated portfolio, timed, with peak memory.

Each (code, size, seed) runs in its own process, so memory is that run's own. ``code``
is a source tree put first on PYTHONPATH: this one (``new``) and, for the baseline, an
older checkout (``--baseline``, e.g. from ``git archive``), measured in the same session.
Steps: generate, parse, build, greedy, assignment, make_plan (with explanations) and
the plan check. Peak memory is the process's ru_maxrss after each step (so it only grows).
A step that overruns ``--wall-limit`` is reported as not finished.

The greedy must give the same plan with both codes (asserted), and every project the
same decision and the same kind of explanation (its words and figures may improve); the
staff assignment may differ, so its quality is summarised
(people per project and period, and the share of them who also worked on the project
in its previous period).

    python -m benchmarks.scale --sizes S M L --seeds 1 2 3 --baseline /tmp/base -o results.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

STEPS = ("generate", "parse", "build", "greedy", "assign", "make_plan", "check")
HERE = Path(__file__).resolve().parents[1]


def child(size: str, seed: int) -> None:
    """Run every step in this process, printing one JSON line per step as it ends. Only
    uses functions both the old and the new code have."""
    from benchmarks.generator import generate
    from engine import build, check_plan, parse_scenario
    from engine.results import make_plan
    from solvers.assignment import assign
    from solvers.greedy import solve_greedy

    state: dict[str, Any] = {}
    steps = {
        "generate": lambda: state.update(doc=generate(size, seed=seed)),
        "parse": lambda: state.update(scenario=parse_scenario(state["doc"])),
        "build": lambda: state.update(data=build(state["scenario"])),
        "greedy": lambda: state.update(schedule=solve_greedy(state["data"])),
        "assign": lambda: state.update(rows=assign(state["data"], state["schedule"].starts)),
        "make_plan": lambda: state.update(
            plan=make_plan(state["data"], state["schedule"], state["rows"], seconds=0.0, solver="greedy")
        ),
        "check": lambda: state.update(violations=len(check_plan(state["scenario"], state["plan"]))),
    }
    for step in STEPS:
        started = time.perf_counter()
        steps[step]()
        out: dict[str, Any] = {"step": step, "s": time.perf_counter() - started, "peak_mb": _peak_mb()}
        out |= _facts(step, state)
        print(json.dumps(out), flush=True)


def _facts(step: str, state: dict[str, Any]) -> dict[str, Any]:
    """What each step produced, to compare the two codes."""
    if step == "greedy":
        starts = sorted(state["schedule"].starts.items())
        return {"selected": len(starts), "starts": _digest(starts)}
    if step == "assign":
        return {"rows": len(state["rows"])} | _staffing(state["rows"])
    if step == "make_plan":
        projects = [p.model_dump(mode="json") for p in state["plan"].projects]
        decisions = [
            (p["id"], p["selected"], p["start"], (p["explanation"] or {}).get("code")) for p in projects
        ]
        return {
            "projects": _digest(decisions),
            "explanations": _digest(projects),
            "objective": state["plan"].objective,
        }
    if step == "check":
        return {"violations": state["violations"]}
    return {}


def _staffing(rows: list) -> dict[str, float]:
    """People per (project, period), and the share of them on the project the period before."""
    people: dict[tuple[int, int], set[int]] = defaultdict(set)
    for r in rows:
        people[(r.project, r.period)].add(r.staff)
    again = [
        len(who & people[(j, t - 1)]) / len(who) for (j, t), who in people.items() if (j, t - 1) in people
    ]
    return {
        "people_per_project_period": round(sum(map(len, people.values())) / max(len(people), 1), 2),
        "continuing_share": round(sum(again) / max(len(again), 1), 3),
    }


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(code: Path, size: str, seed: int, wall_limit: float) -> dict[str, Any]:
    """Run :func:`child` on ``code`` in a fresh process; the steps it finished in time."""
    env = os.environ | {"PYTHONPATH": str(code)}
    cmd = [sys.executable, "-P", str(Path(__file__).resolve()), "--child", size, str(seed)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    steps: dict[str, Any] = {}
    try:
        out, _ = proc.communicate(timeout=wall_limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    for line in out.splitlines():
        row = json.loads(line)
        steps[row.pop("step")] = row
    return {"size": size, "seed": seed, "returncode": proc.returncode, "steps": steps}


def compare(old: dict[str, Any], new: dict[str, Any]) -> None:
    """The greedy plan and each project's decision and kind of explanation must not change."""
    for step, key in (("greedy", "starts"), ("make_plan", "decisions")):
        if key in old["steps"].get(step, {}) and key in new["steps"].get(step, {}):
            a, b = old["steps"][step][key], new["steps"][step][key]
            assert a == b, f"{new['size']} seed {new['seed']}: {step} differs ({a} vs {b})"


def report(results: list[dict[str, Any]]) -> str:
    """A markdown table: per size, the median over seeds of each step, old -> new."""
    lines = [
        "| size | code | seeds | "
        + " | ".join(STEPS)
        + " | total | peak MB | people/project/period | continuing |",
        "|---|---|---|" + "---|" * (len(STEPS) + 4),
    ]
    for size in dict.fromkeys(r["size"] for r in results):
        for code in ("baseline", "new"):
            runs = [r for r in results if r["size"] == size and r["code"] == code]
            if not runs:
                continue
            cells = []
            for step in STEPS:
                done = [r["steps"][step]["s"] for r in runs if step in r["steps"]]
                cells.append(f"{statistics.median(done):.2f}" if len(done) == len(runs) else "not finished")
            totals = [sum(s["s"] for s in r["steps"].values()) for r in runs if len(r["steps"]) == len(STEPS)]
            total = f"{statistics.median(totals):.1f}" if len(totals) == len(runs) else "-"
            peak = statistics.median(max(s["peak_mb"] for s in r["steps"].values()) for r in runs)
            staffing = [r["steps"]["assign"] for r in runs if "assign" in r["steps"]]
            people = (
                f"{statistics.median(s['people_per_project_period'] for s in staffing):.1f}"
                if staffing
                else "-"
            )
            again = f"{statistics.median(s['continuing_share'] for s in staffing):.3f}" if staffing else "-"
            seeds = ",".join(str(r["seed"]) for r in runs)
            lines.append(
                f"| {size} | {code} | {seeds} | "
                + " | ".join(cells)
                + f" | {total} | {peak:,.0f} | {people} | {again} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "SEED"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs="+", default=["S", "M", "L"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--baseline", type=Path, help="source tree of the code to compare against")
    parser.add_argument("--codes", nargs="+", default=["baseline", "new"], choices=["baseline", "new"])
    parser.add_argument("--wall-limit", type=float, default=1800.0, help="seconds per (code, size, seed)")
    parser.add_argument("-o", "--output", type=Path, default=Path("benchmarks/results/scale.json"))
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    results = json.loads(args.output.read_text()) if args.output.exists() else []
    codes = {"new": HERE} | ({"baseline": args.baseline} if args.baseline else {})
    for size in args.sizes:
        for seed in args.seeds:
            for code in [c for c in args.codes if c in codes]:
                row = {"code": code} | measure(codes[code], size, seed, args.wall_limit)
                results = [r for r in results if (r["code"], r["size"], r["seed"]) != (code, size, seed)]
                results.append(row)
                args.output.write_text(json.dumps(results, indent=1))
                print(json.dumps(row), flush=True)
            pair = {r["code"]: r for r in results if (r["size"], r["seed"]) == (size, seed)}
            if len(pair) == 2:
                compare(pair["baseline"], pair["new"])
    print(report(results))


if __name__ == "__main__":
    main()
