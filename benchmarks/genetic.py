"""The genetic search alone, on PSPLIB instances, for a fixed number of schedules.

The research literature compares RCPSP heuristics by the number of schedules each may
generate (1,000, 5,000 and 50,000), not by time, so that machines do not matter: on j30
by the mean deviation from the optimum, on j60 and j120 from the critical-path bound.
This benchmark measures ``solvers/cpsat/serial.py`` the same way, one decoded list
counting as three schedules (serial generation and the two passes of justification, as
the literature counts forward-backward improvement). Counts, not time, end each run, so
the figures are the same on any machine and from run to run for a given seed. A run may
overshoot its count by a pair of children (two lists): 1,006 schedules for 1,000.

    python -m benchmarks.genetic /work/shared/bench/psplib/j30 \\
        --optima /work/shared/bench/psplib/j30opt.sm --schedules 1000 5000 50000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.psplib import _instance_key, _set_name, read_optima

SCHEDULES_PER_DECODE = 3


def run_instance(path: Path, schedules: int, seed: int) -> dict[str, Any]:
    """The shortest plan the search finds in ``schedules`` schedules of one instance."""
    import engine
    from engine.problem import build
    from engine.psplib import import_psplib
    from solvers.cpsat import serial
    from solvers.cpsat.hall import initial_sets
    from solvers.cpsat.makespan import parts

    data = build(engine.parse_scenario(import_psplib(path)))
    lists = serial.SerialSchedules(data, parts(data, initial_sets(data)))
    decodes, best = 0, None

    def spend(_seconds: float) -> None:  # the search spends once per list it decodes
        nonlocal decodes
        decodes += 1

    def offer(start: list[int]) -> bool:  # one resource per pool: every plan is exact
        nonlocal best
        best = lists.makespan(start)
        return True

    started = time.perf_counter()
    serial.evolve(lists, seed, lambda: schedules / SCHEDULES_PER_DECODE - decodes, spend, offer)
    return {
        "instance": path.stem,
        "seed": seed,
        "makespan": best,
        "schedules": SCHEDULES_PER_DECODE * decodes,
        "seconds": round(time.perf_counter() - started, 3),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    planned = [r for r in rows if r["makespan"] is not None]
    deviations = [(r["makespan"] - r["known"]) / r["known"] for r in planned]
    return {
        "runs": len(rows),
        "without_plan": len(rows) - len(planned),
        "mean_deviation_pct": round(100 * statistics.fmean(deviations), 3) if deviations else None,
        "at_known": sum(r["makespan"] == r["known"] for r in planned),
        "sum_makespan": sum(r["makespan"] for r in planned),
        "median_schedules_used": statistics.median(r["schedules"] for r in rows) if rows else None,
        "seconds": round(sum(r["seconds"] for r in rows), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="folder of .sm instances")
    parser.add_argument("--optima", type=Path, required=True, help="optima or bounds: j30opt.sm, j120cpm.txt")
    parser.add_argument("--schedules", type=int, nargs="+", default=[1000, 5000, 50000])
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0 to N-1 for each instance")
    parser.add_argument("--every", type=int, default=1, help="every k-th instance only")
    parser.add_argument("-o", "--output", type=Path, help="write rows and summaries (JSON) here")
    args = parser.parse_args(argv)
    known = read_optima(args.optima, _set_name(args.optima))
    paths = sorted(args.directory.glob("*.sm"), key=_instance_key)[:: args.every]
    results: dict[int, dict[str, Any]] = {}
    for count in args.schedules:
        rows = []
        for seed in range(args.seeds):
            for path in paths:
                rows.append({**run_instance(path, count, seed), "known": known[path.stem]})
        results[count] = {"summary": summary(rows), "rows": rows}
        print(json.dumps({"schedules": count, **results[count]["summary"]}), flush=True)
    if args.output:
        args.output.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
