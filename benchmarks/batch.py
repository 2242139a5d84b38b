"""Batch throughput: 200 variants of a generated S portfolio through each executor.

The variants are a grid (budget factor x extra capacity of the scarcest skill x
utilisation ceiling) over ``generate("S", seed=1)``, solved with one solver and limit on
1 and 2 local worker processes and on a Dask ``LocalCluster`` (2 worker processes, one
thread each). For each configuration: wall time, variants per minute, and the overhead
per variant: wall time times workers, less the solves' own time, over the number of
variants (starting processes, moving scenarios and plans, writing nothing). The same run
also times no-op tasks, the executor's bare cost. The plans are compared across the
configurations (without their timing): deterministic solves must agree.

    python -m benchmarks.batch --variants 200 --solver greedy -o benchmarks/results/batch.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from benchmarks.generator import generate
from engine.batch import BatchSpec, SolveOptions, VariantResult, expand_grid, run_batch
from engine.executor import Executor, LocalExecutor, Report, make_executor, run_all
from engine.variants import Variant


def noop(payload: Any, report: Report) -> Any:
    """A task that does nothing: what remains is the executor's own cost."""
    return payload


def variants(count: int) -> list[Variant]:
    """``count`` grid variants (budget x extra capacity x utilisation)."""
    budgets = [round(0.7 + 0.05 * k, 2) for k in range(10)]
    extra = [0, 1, 2, 3, 4]
    ceilings = [0.75, 0.85, 0.95, 1.0]
    grid = expand_grid(
        "g",
        {"budget": budgets, "extra": extra, "util": ceilings},
        [
            {"set_budget": {"factor": "$budget"}},
            {"add_capacity": {"skill": "cso", "fte": "$extra"}},
            {"set_max_utilisation": "$util"},
        ],
    )
    return grid[:count]


def measure(executor: Executor, spec: BatchSpec, workers: int) -> dict[str, Any]:
    plans: dict[str, Any] = {}

    def keep(result: VariantResult) -> None:
        plan = dict(result.plan or {})
        plan.pop("solve_seconds", None)
        plans[result.variant.name] = plan

    started = time.perf_counter()
    rows = run_batch(spec, executor=executor, on_variant=keep)
    wall = time.perf_counter() - started
    solving = sum(r["seconds"] or 0.0 for r in rows)
    noop_started = time.perf_counter()
    run_all(executor, noop, list(range(len(rows))))
    noop_wall = time.perf_counter() - noop_started
    return {
        "workers": workers,
        "variants": len(rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        "wall_s": round(wall, 2),
        "variants_per_minute": round(60 * len(rows) / wall, 1),
        "solve_s_total": round(solving, 2),
        "overhead_per_variant_s": round((wall * workers - solving) / len(rows), 4),
        "noop_per_task_s": round(noop_wall * workers / len(rows), 4),
        "plans": plans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", type=int, default=200)
    parser.add_argument("--solver", default="greedy")
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("-o", "--output", type=Path, default=None)
    args = parser.parse_args()
    from distributed import LocalCluster

    spec = BatchSpec(
        generate("S", seed=1),
        variants(args.variants),
        SolveOptions(solver=args.solver, time_limit=args.time_limit, deterministic=True),
    )
    runs: dict[str, Any] = {}
    for workers in (1, 2):
        with LocalExecutor(workers) as executor:
            runs[f"local-{workers}"] = measure(executor, spec, workers)
        print(json.dumps({k: v for k, v in runs[f"local-{workers}"].items() if k != "plans"}), flush=True)
    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster,
        make_executor(cluster.scheduler_address) as executor,
    ):
        runs["dask-2"] = measure(executor, spec, 2)
    print(json.dumps({k: v for k, v in runs["dask-2"].items() if k != "plans"}), flush=True)
    same = runs["local-1"]["plans"] == runs["local-2"]["plans"] == runs["dask-2"]["plans"]
    print(f"identical plans across configurations: {same}")
    result = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "scenario": "generate('S', seed=1)",
        "solver": args.solver,
        "time_limit": args.time_limit,
        "identical_plans": same,
        "runs": {name: {k: v for k, v in run.items() if k != "plans"} for name, run in runs.items()},
    }
    if args.output is not None:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
