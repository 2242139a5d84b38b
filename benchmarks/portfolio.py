"""Portfolio benchmark: CP-SAT against the greedy baseline and a HiGHS MILP peer.

Each (size, seed, method) runs in its own process, so peak memory is that method's own
and a crash or runaway on a large size cannot take the whole run down. For CP-SAT the
progress trace gives the objective and bound at 10, 30 and 60 s from one run.

    python -m benchmarks.portfolio --sizes S M --seeds 1 2 3 --time-limit 60 -o results.json
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path
from typing import Any

CHECKPOINTS = (10, 30, 60)


def run_method(size: str, seed: int, method: str, time_limit: float) -> dict[str, Any]:
    """One measurement, in the current process."""
    from benchmarks.generator import generate
    from engine import build, check_plan, parse_scenario
    from engine.results import make_plan
    from solvers.assignment import assign
    from solvers.greedy import schedule_objective, solve_greedy

    t0 = time.perf_counter()
    scenario = parse_scenario(generate(size, seed=seed))
    data = build(scenario)
    out: dict[str, Any] = {"size": size, "seed": seed, "method": method, "build_s": time.perf_counter() - t0}
    out |= {"projects": data.num_projects, "staff": len(data.staff_ids), "groups": data.num_groups}
    started = time.perf_counter()
    if method == "greedy":
        schedule = solve_greedy(data)
    elif method == "cp-sat":
        from solvers.cpsat import solve_cpsat

        trace: list[dict[str, float]] = []
        schedule = solve_cpsat(data, time_limit=time_limit, on_progress=trace.append)
        out["trace"] = trace
        out |= _checkpoints(trace)
    elif method in ("highs", "lp"):
        from benchmarks.milp import solve_milp

        result = solve_milp(data, time_limit=time_limit, relax=method == "lp", threads=1)
        out |= {"status": result.status, "objective": result.objective, "bound": result.bound}
        out["seconds"] = time.perf_counter() - started
        out["peak_mb"] = _peak_mb()
        return out
    else:
        raise ValueError(method)
    out["seconds"] = time.perf_counter() - started
    a0 = time.perf_counter()
    rows = assign(data, schedule.starts) if schedule.status in ("optimal", "feasible") else []
    out["assign_s"] = time.perf_counter() - a0
    value = schedule_objective(data, schedule.starts)
    out |= {"status": schedule.status, "objective": -value if data.objective == "makespan" else value}
    out["bound"] = schedule.bound
    plan = make_plan(data, schedule, rows, seconds=out["seconds"], solver=method)
    out["violations"] = len(check_plan(scenario, plan))
    out["selected"] = len(schedule.starts)
    out["peak_mb"] = _peak_mb()
    return out


def _checkpoints(trace: list[dict[str, float]]) -> dict[str, Any]:
    """Incumbent and bound as they stood at each checkpoint; time to the first plan."""
    out: dict[str, Any] = {}
    first = next((e["elapsed"] for e in trace if not math.isnan(e["incumbent"])), None)
    out["first_plan_s"] = first
    for mark in CHECKPOINTS:
        seen = [e for e in trace if e["elapsed"] <= mark]
        incumbents = [e["incumbent"] for e in seen if not math.isnan(e["incumbent"])]
        bounds = [e["bound"] for e in seen if not math.isnan(e["bound"])]
        out[f"objective_{mark}s"] = incumbents[-1] if incumbents else None
        out[f"bound_{mark}s"] = bounds[-1] if bounds else None
    return out


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(queue: mp.Queue, args: tuple) -> None:
    try:
        queue.put(run_method(*args))
    except Exception as exc:  # a failure is a result too
        queue.put(
            {"size": args[0], "seed": args[1], "method": args[2], "error": f"{type(exc).__name__}: {exc}"}
        )


def measure(size: str, seed: int, method: str, time_limit: float, wall_limit: float) -> dict[str, Any]:
    """run_method in a fresh process, killed if it overruns ``wall_limit``."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, (size, seed, method, time_limit)))
    proc.start()
    proc.join(wall_limit)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return {"size": size, "seed": seed, "method": method, "error": f"no result within {wall_limit:.0f} s"}
    return (
        queue.get()
        if not queue.empty()
        else {"size": size, "seed": seed, "method": method, "error": "crashed"}
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["S", "M"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--methods", nargs="+", default=["greedy", "cp-sat", "highs", "lp"])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--wall-limit", type=float, default=900.0, help="kill a run after this long")
    parser.add_argument("-o", "--output", type=Path, default=Path("benchmarks/results/portfolio.json"))
    args = parser.parse_args(argv)
    results = json.loads(args.output.read_text()) if args.output.exists() else []
    for size in args.sizes:
        for seed in args.seeds:
            for method in args.methods:
                row = measure(size, seed, method, args.time_limit, args.wall_limit)
                results = [r for r in results if (r["size"], r["seed"], r["method"]) != (size, seed, method)]
                results.append(row)
                args.output.write_text(json.dumps(results, indent=1, default=str))
                shown = {k: v for k, v in row.items() if k != "trace"}
                print(json.dumps(shown, default=str), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
