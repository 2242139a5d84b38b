"""PSPLIB benchmark: the scheduling core against the published optima of the j30 set.

Each instance goes through the same path as the command line (``capacity import psplib``
then ``engine.solve``, staff assignment included) with a per-instance time limit, and the
makespan found is compared with the known optimum (``j30opt.sm``) or best-known value.

    python -m benchmarks.psplib /work/shared/bench/psplib/j30 --optima j30opt.sm \\
        --time-limit 10 -o benchmarks/results/psplib-j30.json --markdown psplib-j30.md
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

OPTIMUM_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)(?:\s+\S+)?\s*$")


def read_optima(path: Path, prefix: str) -> dict[str, int]:
    """Known makespans from a PSPLIB results file: rows 'parameter instance makespan [...]',
    keyed by instance name (``j30`` + parameter + ``_`` + instance, as the files are named)."""
    optima = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = OPTIMUM_ROW.match(line)
        if match:
            parameter, instance, makespan = (int(g) for g in match.groups())
            optima[f"{prefix}{parameter}_{instance}"] = makespan
    return optima


def run_instance(path: Path, time_limit: float, deterministic: bool, seed: int) -> dict[str, Any]:
    """One instance, through the command line's path: import, solve, assign staff, check."""
    import engine
    from engine.psplib import import_psplib

    started = time.perf_counter()
    scenario = engine.parse_scenario(import_psplib(path))
    plan = engine.solve(scenario, time_limit=time_limit, deterministic=deterministic, seed=seed)
    seconds = time.perf_counter() - started
    return {
        "instance": path.stem,
        "makespan": plan.objective,
        "bound": plan.bound,
        "proven": plan.status == "optimal",
        "status": plan.status,
        "seconds": round(seconds, 3),
        "violations": len(engine.check_plan(scenario, plan)),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    known = [r for r in rows if r.get("known") is not None]
    gaps = [(r["makespan"] - r["known"]) / r["known"] for r in known if r["makespan"] is not None]
    times = [r["seconds"] for r in rows]
    return {
        "instances": len(rows),
        "at_known": sum(r["makespan"] == r["known"] for r in known),
        "below_known": sum(r["makespan"] is not None and r["makespan"] < r["known"] for r in known),
        "proven": sum(r["proven"] for r in rows),
        "mean_gap_to_known": statistics.fmean(gaps) if gaps else None,
        "median_s": statistics.median(times) if times else None,
        "max_s": max(times, default=None),
        "over_1s": sum(t > 1 for t in times),
        "over_10s": sum(t > 10 for t in times),
        "violations": sum(r["violations"] for r in rows),
    }


def markdown(rows: list[dict[str, Any]], total: dict[str, Any]) -> str:
    lines = [
        f"{total['instances']} instances: {total['at_known']} at the known value, "
        f"{total['proven']} proven optimal, median {total['median_s']:.2f} s, max {total['max_s']:.2f} s, "
        f"{total['over_1s']} over 1 s, {total['over_10s']} over 10 s, "
        f"{total['violations']} plan-check violations.",
        "",
        "| instance | makespan | known | proven | seconds |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        makespan = "-" if r["makespan"] is None else f"{r['makespan']:.0f}"
        known = "-" if r.get("known") is None else str(r["known"])
        proven = "yes" if r["proven"] else "no"
        lines.append(f"| {r['instance']} | {makespan} | {known} | {proven} | {r['seconds']:.2f} |")
    return "\n".join(lines) + "\n"


def _set_name(optima: Path) -> str:
    """'j30' from 'j30opt.sm' (and 'j120' from 'j120hrs.sm'): the instances' name prefix."""
    match = re.match(r"[a-z]+\d+", optima.name)
    return match.group(0) if match else ""


def _instance_key(path: Path) -> tuple:
    """j301_2 before j301_10 before j302_1: numbers compared as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", path.stem))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="folder of .sm instances")
    parser.add_argument("--optima", type=Path, help="PSPLIB results file (e.g. j30opt.sm)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--deterministic", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="instance names to run (default: all)")
    parser.add_argument("-o", "--output", type=Path, help="write rows and summary (JSON) here")
    parser.add_argument("--markdown", type=Path, help="write the table (markdown) here")
    parser.add_argument(
        "--without-delays", action="store_true", help="the baseline: never learn least delays (delays.py)"
    )
    args = parser.parse_args(argv)
    if args.without_delays:
        from solvers.cpsat import makespan

        makespan.PROBE_SHARE = 1.0  # the first rounds get the whole limit, so delays are never learnt
    paths = sorted(args.directory.glob("*.sm"), key=_instance_key)
    if args.only:
        paths = [p for p in paths if p.stem in set(args.only)]
    optima = read_optima(args.optima, _set_name(args.optima)) if args.optima else {}
    rows = []
    for path in paths:
        row = run_instance(path, args.time_limit, args.deterministic, args.seed)
        row["known"] = optima.get(path.stem)
        rows.append(row)
        print(json.dumps(row), flush=True)
    total = summary(rows)
    print(json.dumps(total), file=sys.stderr)
    if args.output:
        args.output.write_text(json.dumps({"summary": total, "rows": rows}, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(rows, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
