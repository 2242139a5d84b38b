"""The efficient frontier: the value reachable at each level of budget or capacity.

Each level is a variant of the scenario (``set_budget`` or ``scale_capacity``), all
solved in parallel through an executor, deterministically and to the same gap. The
frontier is monotone by construction: raising the budget or the capacity keeps every
plan of a lower level feasible, so when a level's solve stops (at the gap or the time
limit) below a lower level's value, that lower level's plan is re-planned at this level
(same projects and starts, staff assigned afresh) and kept, and the point says so
(``from_level``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.batch import BatchSpec, SolveOptions, VariantResult, run_batch
from engine.errors import Problem, ScenarioError
from engine.executor import Executor
from engine.variants import Document, Variant, plain_document

AXES = ("budget", "capacity")


@dataclass
class FrontierPoint:
    """One level: the value reached, the projects in, and the plan behind it."""

    level: float
    status: str
    value: float | None
    objective: float | None
    projects: list[str]
    plan: dict[str, Any] | None
    from_level: float | None = None  # the lower level whose plan this point carries
    error: str | None = None

    def row(self) -> dict[str, Any]:
        plan = self.plan or {}
        return {
            "level": self.level,
            "value": self.value,
            "selected": len(self.projects) if self.plan else None,
            "projects": ";".join(self.projects),
            "status": self.status,
            "objective": self.objective,
            "cost": plan.get("metrics", {}).get("cost"),
            "bound": plan.get("bound"),
            "gap": plan.get("gap"),
            "seconds": plan.get("solve_seconds"),
            "from_level": self.from_level,
            "error": self.error,
        }


def parse_levels(text: str, *, what: str = "levels") -> list[float]:
    """``LOW:HIGH:STEPS`` as ``STEPS`` evenly spaced levels from LOW to HIGH inclusive."""
    parts = text.split(":")
    try:
        low, high, steps = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError) as exc:
        raise ScenarioError([Problem(what, f"'{text}' is not LOW:HIGH:STEPS (e.g. 4e6:8e6:9)")]) from exc
    if steps < 1 or high < low or low < 0:
        raise ScenarioError([Problem(what, f"'{text}' needs 0 <= LOW <= HIGH and STEPS >= 1")])
    if steps == 1:
        return [low]
    return [low + (high - low) * k / (steps - 1) for k in range(steps)]


def level_variants(axis: str, levels: Sequence[float], skill: str | None = None) -> list[Variant]:
    """One variant per level: the budget total, or staff FTE (of ``skill``, or everyone) times it."""
    if axis not in AXES:
        raise ScenarioError([Problem("axis", f"unknown axis '{axis}' (choose budget or capacity)")])
    if axis == "budget" and skill is not None:
        raise ScenarioError([Problem("skill", "a skill is given only for a capacity frontier")])
    variants = []
    for k, level in enumerate(sorted(levels)):
        change = (
            {"set_budget": {"total": level}}
            if axis == "budget"
            else {"scale_capacity": {"factor": level} | ({"skill": skill} if skill else {})}
        )
        variants.append(Variant(f"level-{k:03d}", (change,), {"level": level}))
    return variants


def frontier(
    scenario: Document,
    levels: Sequence[float],
    *,
    axis: str = "budget",
    skill: str | None = None,
    options: SolveOptions | None = None,
    executor: Executor | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> list[FrontierPoint]:
    """The frontier over ``levels`` (ascending): objectives that never decrease as the level grows.

    The scenario's objective (``value`` or ``priority``) is what grows; ``makespan`` has no
    frontier (every project is in whatever the budget).
    """
    if scenario.get("policy", {}).get("objective", "value") == "makespan":
        raise ScenarioError([Problem("policy.objective", "a frontier needs objective value or priority")])
    variants = level_variants(axis, levels, skill)
    spec = BatchSpec(plain_document(scenario), variants, options or SolveOptions())
    results: dict[str, VariantResult] = {}
    run_batch(
        spec,
        executor=executor,
        on_progress=on_progress,
        on_variant=lambda r: results.__setitem__(r.variant.name, r),
    )
    points: list[FrontierPoint] = []
    best: FrontierPoint | None = None
    for variant in variants:
        result = results[variant.name]
        point = _point(variant.parameters["level"], result)
        below = best is not None and (point.objective or 0.0) < (best.objective or 0.0)
        if best is not None and below and point.plan is not None and result.scenario is not None:
            point = _carried(best, point, result.scenario, spec.options)
        if point.plan is not None and not below:
            best = point
        points.append(point)
    return points


def _point(level: float, result: VariantResult) -> FrontierPoint:
    plan = result.plan
    if plan is None:
        return FrontierPoint(level, "failed", None, None, [], None, error=result.row.get("error"))
    projects = [p["id"] for p in plan["projects"] if p["selected"]]
    return FrontierPoint(level, plan["status"], plan["metrics"]["value"], plan["objective"], projects, plan)


def _carried(
    lower: FrontierPoint, point: FrontierPoint, scenario: Document, options: SolveOptions
) -> FrontierPoint:
    """The lower level's projects and starts, planned at this level (still feasible: more room)."""
    from engine import check_plan
    from engine.planner import plan_from
    from engine.problem import build
    from engine.validation import parse_scenario
    from solvers.portfolio import Schedule

    assert lower.plan is not None and point.plan is not None
    data = build(parse_scenario(scenario))
    index = {pid: j for j, pid in enumerate(data.project_ids)}
    starts = {index[p["id"]]: p["start_period"] for p in lower.plan["projects"] if p["selected"]}
    schedule = Schedule(starts=starts, status="feasible", bound=point.plan.get("bound"))
    plan = plan_from(data, schedule, started=time.perf_counter(), solver=options.solver)
    if check_plan(data.scenario, plan):  # cannot happen when the level only adds room
        return point
    document = plan.model_dump(mode="json")
    projects = [p["id"] for p in document["projects"] if p["selected"]]
    return FrontierPoint(
        point.level, plan.status, plan.metrics.value, plan.objective, projects, document, lower.level
    )


def write_csv(points: Sequence[FrontierPoint], path: str | Path) -> None:
    """One row per level: level, value, selected, projects (ids joined by ';'), then the rest."""
    import pandas as pd

    pd.DataFrame([p.row() for p in points]).to_csv(path, index=False)


def plot(points: Sequence[FrontierPoint], path: str | Path, *, axis: str = "budget", title: str = "") -> None:
    """Value against level as a step chart (PNG or SVG, by the file's suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [p for p in points if p.value is not None]
    values = [p.value or 0.0 for p in shown]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot([p.level for p in shown], values, marker="o", drawstyle="steps-post")
    for p in shown:
        ax.annotate(
            str(len(p.projects)),
            (p.level, p.value),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    ax.set_xlabel("budget" if axis == "budget" else "capacity (times today's FTE)")
    ax.set_ylabel("value delivered")
    ax.set_title(title or "Efficient frontier (labels: projects selected)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
