"""Turn benchmark results (JSON from ``benchmarks.portfolio``) into the tables of BENCHMARKS.md.

python -m benchmarks.report benchmarks/results/portfolio.json [more.json ...]
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.3f}"


def _gap(objective: float | None, bound: float | None) -> str:
    if objective is None or bound is None:
        return "-"
    return f"{abs(bound - objective) / max(abs(bound), 1e-9):.1%}"


def table(results: list[dict[str, Any]]) -> str:
    by: dict[tuple[str, int], dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in results:
        by[(row["size"], row["seed"])][row["method"]] = row
    head = (
        "| size | seed | greedy | CP-SAT 10 s | 30 s | 60 s | CP-SAT / greedy | CP-SAT bound "
        "| gap at 10 s | gap to own bound | gap to LP bound "
        "| HiGHS 60 s | HiGHS bound | LP bound | CP-SAT / HiGHS "
        "| first plan s | assign s "
        "| peak MB CP-SAT / HiGHS | violations |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    order = {"S": 0, "M": 1, "L": 2, "XL": 3}
    for (size, seed), m in sorted(by.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
        g, c, h, lp = (m.get(k, {}) for k in ("greedy", "cp-sat", "highs", "lp"))
        cp = c.get("objective")
        lines.append(
            "| "
            + " | ".join(
                [
                    size,
                    str(seed),
                    _fmt(g.get("objective")),
                    _fmt(c.get("objective_10s")),
                    _fmt(c.get("objective_30s")),
                    _fmt(cp),
                    _ratio(cp, g.get("objective")),
                    _fmt(c.get("bound")),
                    _gap(c.get("objective_10s"), c.get("bound_10s")),
                    _gap(cp, c.get("bound")),
                    _gap(cp, lp.get("bound")),
                    _fmt(h.get("objective")) + ("" if "error" not in h else " (" + h["error"] + ")"),
                    _fmt(h.get("bound")),
                    _fmt(lp.get("bound")) + ("" if "error" not in lp else " (" + lp["error"] + ")"),
                    _ratio(cp, h.get("objective")),
                    _fmt(c.get("first_plan_s"), 1),
                    _fmt(c.get("assign_s"), 2),
                    f"{_fmt(c.get('peak_mb'))} / {_fmt(h.get('peak_mb'))}",
                    _fmt(c.get("violations", c.get("error"))),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def summary(results: list[dict[str, Any]]) -> str:
    """Median CP-SAT/greedy and CP-SAT/HiGHS ratios per size."""
    by: dict[tuple[str, int], dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in results:
        by[(row["size"], row["seed"])][row["method"]] = row
    out = []
    for size in ("S", "M", "L", "XL"):
        rows = [m for (s, _), m in by.items() if s == size and "objective" in m.get("cp-sat", {})]
        if not rows:
            continue
        vs_greedy = [
            m["cp-sat"]["objective"] / m["greedy"]["objective"]
            for m in rows
            if m.get("greedy", {}).get("objective")
        ]
        vs_highs = [
            m["cp-sat"]["objective"] / m["highs"]["objective"]
            for m in rows
            if (m.get("highs", {}).get("objective") or 0) > 0
        ]
        parts = [
            f"{size}: CP-SAT/greedy median {statistics.median(vs_greedy):.3f}" if vs_greedy else f"{size}:"
        ]
        if vs_highs:
            parts.append(f"CP-SAT/HiGHS median {statistics.median(vs_highs):.3f}")
        out.append(", ".join(parts) + f" ({len(rows)} seeds)")
    return "\n".join(f"- {line}" for line in out)


def main() -> None:
    results = [row for name in sys.argv[1:] for row in json.loads(Path(name).read_text())]
    print(table(results))
    print()
    print(summary(results))


if __name__ == "__main__":
    main()
