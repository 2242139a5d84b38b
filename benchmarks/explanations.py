"""Explanation time of a greedy plan: as shipped, and with the 'displaced' split and the extra
capacity switched off (the baseline, the explanations before #8), in the same process.

    python -m benchmarks.explanations S M L
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from benchmarks.generator import generate
from engine import ProblemData, build, parse_scenario
from engine import explain as explained
from solvers.greedy import solve_greedy


def timed(data: ProblemData, starts: dict[int, int], *, extras: bool) -> tuple[float, Counter[str]]:
    """Seconds to explain every project left out, and the codes given."""
    limits = explained.EXTRA_UP_TO, explained.DISPLACED_UP_TO
    if not extras:
        explained.EXTRA_UP_TO = explained.DISPLACED_UP_TO = 0
    try:
        started = time.perf_counter()
        found = explained.explain_exclusions(data, starts)
        return time.perf_counter() - started, Counter(e.code for e in found.values())
    finally:
        explained.EXTRA_UP_TO, explained.DISPLACED_UP_TO = limits


def main() -> None:
    for size in sys.argv[1:] or ["S", "M"]:
        data = build(parse_scenario(generate(size, seed=1)))
        starts = solve_greedy(data).starts
        shipped, codes = timed(data, starts, extras=True)
        baseline, _ = timed(data, starts, extras=False)
        print(
            f"{size}: {data.num_projects} projects, {sum(codes.values())} left out; "
            f"baseline {baseline:.2f} s, as shipped {shipped:.2f} s ({shipped / baseline:.1f}x); "
            f"{dict(codes)}"
        )


if __name__ == "__main__":
    main()
