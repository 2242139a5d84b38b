"""Batches of what-if variants: a spec, its variants and grids, solved in parallel.

A spec (YAML or JSON; ``docs/VARIANTS.md``) names a base scenario, variants (each a list
of changes, :mod:`engine.variants`) and grids (every combination of listed parameter
values, substituted into a list of changes). :func:`run_batch` applies every variant,
solves them through an executor (:mod:`engine.executor`), and gives one summary row per
variant; with an output directory it writes ``<variant>.scenario.json``,
``<variant>.plan.json``, ``summary.csv`` and ``summary.parquet``.

Solves are deterministic by default (CP-SAT in deterministic mode, the scenario's seed),
so the same spec gives the same plans on a rerun, locally or on Dask.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import Problem, ScenarioError
from engine.executor import Executor, Outcome, Report, TaskFailed, make_executor, run_all
from engine.io import problems_from, read_document
from engine.scenario import MAX_SEED
from engine.validation import validate
from engine.variants import Document, Variant, apply_variant, plain_document

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]*$")
FIRST_COLUMNS = ("variant", "status", "value", "cost", "selected")
LAST_COLUMNS = ("objective", "bound", "gap", "seconds", "error")


class SolveOptions(BaseModel):
    """How every variant is solved. Deterministic by default, so reruns give the same plans."""

    model_config = ConfigDict(extra="forbid")
    solver: str = "cp-sat"
    time_limit: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    deterministic: bool = True
    relative_gap: float | None = Field(default=None, ge=0, le=1)


class _VariantSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    changes: list[Any] = Field(default_factory=list)


class _GridSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = ""
    parameters: dict[str, list[Any]] = Field(min_length=1)
    changes: list[Any] = Field(min_length=1)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base: str | dict[str, Any]
    solve: SolveOptions = Field(default_factory=SolveOptions)
    include_base: bool = True
    variants: dict[str, _VariantSpec | list[Any]] = Field(default_factory=dict)
    grids: dict[str, _GridSpec] = Field(default_factory=dict)


@dataclass
class BatchSpec:
    """A parsed spec: the base scenario document, the variants in order, and the solve options."""

    base: Document
    variants: list[Variant]
    options: SolveOptions = field(default_factory=SolveOptions)


def load_spec(path: str | Path) -> BatchSpec:
    """Read a batch spec file; a relative ``base`` path is read from the spec's folder."""
    return parse_spec(read_document(path), folder=Path(path).parent)


def parse_spec(doc: Any, *, folder: Path = Path(".")) -> BatchSpec:
    """A :class:`BatchSpec`, or :class:`ScenarioError` listing every problem in the spec."""
    try:
        spec = _Spec.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(problems_from(exc)) from exc
    base = _base(spec.base, folder)
    variants = ([Variant("base", description="the base scenario")] if spec.include_base else []) + [
        _named(name, v) for name, v in spec.variants.items()
    ]
    for grid_name, grid in spec.grids.items():
        variants += expand_grid(grid_name, grid.parameters, grid.changes, grid.description)
    _check_names(variants)
    return BatchSpec(base, variants, spec.solve)


def _base(base: str | dict[str, Any], folder: Path) -> Document:
    doc = read_document(folder / base) if isinstance(base, str) else base
    scenario, problems = validate(doc)
    errors = [
        Problem(f"base.{p.path}" if p.path else "base", p.message) for p in problems if p.severity == "error"
    ]
    if scenario is None or errors:
        raise ScenarioError(errors or [Problem("base", "is not a usable scenario")])
    return plain_document(doc)


def _named(name: str, spec: _VariantSpec | list[Any]) -> Variant:
    if isinstance(spec, list):
        return Variant(name, tuple(spec))
    return Variant(name, tuple(spec.changes), dict(spec.parameters), spec.description)


def _check_names(variants: list[Variant]) -> None:
    problems, seen = [], set()
    for v in variants:
        if not NAME.match(v.name):
            problems.append(
                Problem(
                    f"variants.{v.name}",
                    "a name may hold only letters, digits and . _ = + - (it names files)",
                )
            )
        elif v.name in seen:
            problems.append(Problem(f"variants.{v.name}", "two variants have this name"))
        seen.add(v.name)
    reserved = set(FIRST_COLUMNS) | set(LAST_COLUMNS) | {"utilisation"}
    for v in variants:
        for key in v.parameters:
            if key in reserved or key.startswith("utilisation_"):
                problems.append(Problem(f"variants.{v.name}.parameters.{key}", "is a summary column's name"))
    if problems:
        raise ScenarioError(problems)


def expand_grid(
    name: str, parameters: dict[str, list[Any]], changes: Sequence[Any], description: str = ""
) -> list[Variant]:
    """Every combination of the parameter values, in the order listed (the last varies fastest).

    In ``changes``, a string ``"$p"`` is replaced by the value of parameter ``p`` and
    ``"${p}"`` inside a longer string by its text. Each variant is named
    ``<grid>-<p>=<value>-...``.
    """
    keys = list(parameters)
    variants = []
    for values in itertools.product(*(parameters[k] for k in keys)):
        chosen = dict(zip(keys, values, strict=True))
        label = "-".join(f"{k}={_label(v)}" for k, v in chosen.items())
        filled = _substitute(list(changes), chosen, f"grids.{name}.changes")
        variants.append(Variant(f"{name}-{label}", tuple(filled), chosen, description))
    return variants


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return re.sub(r"[^A-Za-z0-9._+-]", "_", str(text))


def _substitute(obj: Any, values: dict[str, Any], path: str) -> Any:
    if isinstance(obj, dict):
        return {k: _substitute(v, values, f"{path}.{k}") for k, v in obj.items()}
    if isinstance(obj, list):
        return [_substitute(v, values, f"{path}[{i}]") for i, v in enumerate(obj)]
    if not isinstance(obj, str) or "$" not in obj:
        return obj
    whole = re.fullmatch(r"\$\{?(\w+)\}?", obj)
    names = [whole.group(1)] if whole else re.findall(r"\$\{(\w+)\}", obj)
    for missing in [n for n in names if n not in values]:
        raise ScenarioError([Problem(path, f"'${missing}' is not one of the grid's parameters")])
    if whole:
        return values[whole.group(1)]
    return re.sub(r"\$\{(\w+)\}", lambda m: str(values[m.group(1)]), obj)


# -- running --------------------------------------------------------------------------------
def solve_task(payload: dict[str, Any], report: Report) -> dict[str, Any]:
    """An executor task: solve ``payload["scenario"]`` with ``payload["options"]``; the plan as JSON data."""
    from engine.planner import solve

    options = payload["options"]
    try:
        plan = solve(
            payload["scenario"],
            options.get("solver", "cp-sat"),
            time_limit=options.get("time_limit"),
            seed=options.get("seed"),
            on_progress=report,
            deterministic=options.get("deterministic", False),
            relative_gap=options.get("relative_gap"),
        )
    except ScenarioError as exc:
        raise TaskFailed(f"the scenario cannot be solved: {exc}") from exc
    return plan.model_dump(mode="json")


@dataclass
class VariantResult:
    """One variant's outcome: the scenario it gave (None if it did not apply), its plan, its row."""

    variant: Variant
    scenario: Document | None
    plan: dict[str, Any] | None
    row: dict[str, Any]


BatchProgress = Callable[[dict[str, Any]], None]


def run_batch(
    spec: BatchSpec,
    *,
    output: str | Path | None = None,
    executor: Executor | None = None,
    on_progress: BatchProgress | None = None,
    on_variant: Callable[[VariantResult], None] | None = None,
) -> list[dict[str, Any]]:
    """Solve every variant; the summary rows, in the spec's order.

    ``executor`` defaults to :func:`~engine.executor.make_executor` (local processes, or
    Dask when ``CAPACITY_DASK_SCHEDULER`` is set). ``on_progress`` gets ``{"done", "total",
    "failed", "variant", "status"}`` as each variant ends; ``on_variant`` gets each
    :class:`VariantResult`. A variant that fails (bad change, solver error) is a row with
    status ``failed`` and its ``error``; the others go on.
    """
    folder = Path(output) if output is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    skills = [s["id"] for s in spec.base.get("skills", [])]
    prepared = [prepare_variant(spec.base, v) for v in spec.variants]
    results: list[VariantResult | None] = [None] * len(prepared)
    counts = {"done": 0, "failed": 0}

    def finish(i: int, outcome: Outcome) -> None:
        variant, scenario, error = prepared[i]
        plan = outcome[1] if outcome[0] == "done" else None
        result = VariantResult(
            variant, scenario, plan, summary_row(variant, plan, skills, error or outcome[1])
        )
        results[i] = result
        if folder is not None:
            write_variant(folder, result)
        counts["done"] += 1
        counts["failed"] += result.row["status"] == "failed"
        if on_progress is not None:
            on_progress(
                {"total": len(prepared), "variant": variant.name, "status": result.row["status"], **counts}
            )
        if on_variant is not None:
            on_variant(result)

    for i, (_, scenario, error) in enumerate(prepared):
        if scenario is None:
            finish(i, ("failed", error))
    runnable = [i for i, p in enumerate(prepared) if p[1] is not None]
    payloads = [{"scenario": prepared[i][1], "options": spec.options.model_dump()} for i in runnable]
    owned = executor is None
    executor = executor or make_executor()
    try:
        run_all(
            executor,
            solve_task,
            payloads,
            names=[f"variant-{prepared[i][0].name}" for i in runnable],
            on_done=lambda k, outcome: finish(runnable[k], outcome),
        )
    finally:
        if owned:
            executor.close()
    rows = [r.row for r in results if r is not None]
    if folder is not None:
        write_summary(folder, rows)
    return rows


def prepare_variant(base: Document, variant: Variant) -> tuple[Variant, Document | None, str | None]:
    """The variant, its validated scenario, and the reason when its changes do not apply."""
    try:
        return variant, apply_variant(base, variant), None
    except ScenarioError as exc:
        return variant, None, "; ".join(str(p) for p in exc.errors)


def summary_row(
    variant: Variant, plan: dict[str, Any] | None, skills: Sequence[str], error: Any = None
) -> dict[str, Any]:
    """The summary of one variant: status, value, cost, selected, its parameters, utilisation, gap, time."""
    metrics = (plan or {}).get("metrics", {})
    row: dict[str, Any] = {
        "variant": variant.name,
        "status": plan["status"] if plan else "failed",
        "value": metrics.get("value") if plan else None,
        "cost": metrics.get("cost") if plan else None,
        "selected": metrics.get("selected") if plan else None,
    }
    row |= variant.parameters
    by_skill = metrics.get("utilisation_by_skill", {})
    row["utilisation"] = metrics.get("utilisation") if plan else None
    row |= {f"utilisation_{s}": by_skill.get(s) if plan else None for s in skills}
    for key in ("objective", "bound", "gap"):
        row[key] = (plan or {}).get(key)
    row["seconds"] = (plan or {}).get("solve_seconds")
    row["error"] = None if plan else str(error)
    return row


def write_variant(folder: Path, result: VariantResult) -> None:
    """``<variant>.scenario.json`` and ``<variant>.plan.json`` (when it has them)."""
    name = result.variant.name
    if result.scenario is not None:
        _write(folder / f"{name}.scenario.json", json.dumps(result.scenario, indent=2) + "\n")
    if result.plan is not None:
        _write(folder / f"{name}.plan.json", json.dumps(result.plan, indent=2) + "\n")


def write_summary(folder: Path, rows: list[dict[str, Any]]) -> None:
    """``summary.csv`` and ``summary.parquet``: one row per variant."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=summary_columns(rows)).convert_dtypes()
    frame.to_csv(folder / "summary.csv", index=False)
    for column in frame.columns:  # Parquet needs one type per column: mixed parameters as text
        kinds = {type(v) for v in frame[column] if v is not None and not _nan(v)}
        if len(kinds) > 1 and not kinds <= {int, float}:
            frame[column] = frame[column].map(lambda v: None if v is None or _nan(v) else str(v))
    frame.to_parquet(folder / "summary.parquet", index=False)


def summary_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The fixed columns first, then every parameter (in first-seen order), utilisation, the rest."""
    columns: dict[str, None] = {}
    for row in rows:
        columns |= dict.fromkeys(row)
    utilisation = [c for c in columns if c == "utilisation" or c.startswith("utilisation_")]
    fixed = set(FIRST_COLUMNS) | set(LAST_COLUMNS) | set(utilisation)
    parameters = [c for c in columns if c not in fixed]
    return [*FIRST_COLUMNS, *parameters, *utilisation, *LAST_COLUMNS]


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
