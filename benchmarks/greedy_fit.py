"""Greedy baseline speed: the fit check with its necessary test against a plain max-flow.

Both run in the same process on the same generated portfolios; the plans must be equal
(the shortcuts only skip max-flows whose answer they already know).

    python -m benchmarks.greedy_fit --size M --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.generator import generate
from engine import build, parse_scenario
from solvers.flow import PeriodLoad
from solvers.greedy import solve_greedy


def plain_try_add(self: PeriodLoad, extra: np.ndarray) -> np.ndarray | None:
    """The baseline: a full max-flow for every check."""
    total = self.demand + extra
    served, flow = self.network.arc_flow(total, self.capacity)
    return flow if served == int(total.sum()) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    args = parser.parse_args()
    layered = PeriodLoad.try_add
    ratios = []
    for seed in args.seeds:
        data = build(parse_scenario(generate(args.size, seed=seed)))
        timings = {}
        for name, method in (("plain", plain_try_add), ("layered", layered)):
            PeriodLoad.try_add = method  # type: ignore[method-assign]
            started = time.perf_counter()
            starts = solve_greedy(data).starts
            timings[name] = (time.perf_counter() - started, starts)
        PeriodLoad.try_add = layered  # type: ignore[method-assign]
        assert timings["plain"][1] == timings["layered"][1], "the shortcuts changed the plan"
        ratio = timings["plain"][0] / timings["layered"][0]
        ratios.append(ratio)
        plain, tested = timings["plain"][0], timings["layered"][0]
        print(f"{args.size} seed {seed}: plain {plain:.2f} s, with test {tested:.2f} s")
    print(f"median speed-up x{statistics.median(ratios):.1f}")


if __name__ == "__main__":
    main()
