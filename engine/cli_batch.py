"""``capacity batch`` and ``capacity frontier``: what-if variants in parallel (docs/VARIANTS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from engine.cli_common import ScenarioArg, err, out
from engine.cli_common import load as _load
from engine.cli_common import print_problems as _print_problems
from engine.errors import Problem

SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="A Dask scheduler's address (tcp://host:8786); default CAPACITY_DASK_SCHEDULER, else local.",
    ),
]
WorkersOpt = Annotated[
    int | None, typer.Option("--workers", min=1, help="Local processes at once (default: the cores).")
]


def batch(
    spec: Annotated[
        Path, typer.Argument(help="Batch spec (YAML or JSON; docs/VARIANTS.md).", show_default=False)
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for plans, scenarios and summary.")],
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Solve every variant of a batch spec in parallel; plans and summary.csv in a folder."""
    from engine.batch import load_spec, run_batch
    from engine.executor import make_executor

    loaded = load_spec(spec)
    with (
        make_executor(scheduler, workers) as executor,
        _CountProgress("variants", len(loaded.variants), quiet) as bar,
    ):
        rows = run_batch(loaded, output=output, executor=executor, on_progress=bar.update)
    failed = [r for r in rows if r["status"] == "failed"]
    if not quiet:
        out.print(_summary_table(rows))
    for row in failed:
        err.print(f"[red]failed[/red] {row['variant']}: {row['error']}", highlight=False)
    out.print(f"{len(rows)} variant(s), {len(failed)} failed; written to {output}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _summary_table(rows: list[dict]) -> Table:
    table = Table(title="Variants")
    for col in ("variant", "status", "value", "cost", "selected", "gap"):
        table.add_column(col, justify="left" if col in ("variant", "status") else "right")
    for r in rows:
        money = [f"{r[k]:,.0f}" if r[k] is not None else "" for k in ("value", "cost")]
        gap = f"{r['gap']:.2%}" if r["gap"] is not None else ""
        table.add_row(r["variant"], r["status"], *money, str(r["selected"] or ""), gap)
    return table


def frontier(
    scenario: ScenarioArg,
    budget: Annotated[str | None, typer.Option(help="Budget levels LOW:HIGH:STEPS, e.g. 4e6:8e6:9.")] = None,
    capacity: Annotated[
        str | None, typer.Option(help="Capacity factors LOW:HIGH:STEPS (times today's FTE), e.g. 0.8:1.4:7.")
    ] = None,
    skill: Annotated[
        str | None, typer.Option(help="With --capacity: scale only the staff with this skill.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the frontier (CSV) here.")
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Chart of value against level (.png or .svg); default beside -o."),
    ] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds per level.")] = None,
    gap: Annotated[float | None, typer.Option("--gap", help="Relative gap every level is solved to.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: policy.seed).")] = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """The value reachable at each budget (or capacity) level, and the projects in at each."""
    from engine.batch import SolveOptions
    from engine.executor import make_executor
    from engine.frontier import frontier as run
    from engine.frontier import parse_levels, write_csv
    from engine.frontier import plot as draw
    from engine.io import read_document

    if (budget is None) == (capacity is None):
        _print_problems([Problem("--budget/--capacity", "give exactly one of them")])
        raise typer.Exit(2)
    axis, text = ("budget", budget) if budget is not None else ("capacity", capacity)
    levels = parse_levels(str(text), what=f"--{axis}")
    _load(scenario)  # every problem in the file reported before anything runs
    document = read_document(scenario)
    options = SolveOptions(time_limit=time_limit, relative_gap=gap, seed=seed)
    with make_executor(scheduler, workers) as executor, _CountProgress("levels", len(levels), quiet) as bar:
        points = run(
            document,
            levels,
            axis=axis,
            skill=skill,
            options=options,
            executor=executor,
            on_progress=bar.update,
        )
    if output is not None:
        write_csv(points, output)
        out.print(f"frontier written to {output}", highlight=False)
    chart = plot if plot is not None else (output.with_suffix(".png") if output is not None else None)
    if chart is not None:
        draw(points, chart, axis=axis, title=f"{document.get('name', scenario.stem)}: value against {axis}")
        out.print(f"chart written to {chart}", highlight=False)
    if not quiet:
        out.print(_frontier_table(points, axis))


def _frontier_table(points, axis: str) -> Table:
    table = Table(title=f"Value against {axis}")
    for col in ("level", "value", "selected", "status", "projects"):
        table.add_column(col, justify="left" if col in ("status", "projects") else "right", overflow="fold")
    for p in points:
        level = f"{p.level:,.0f}" if axis == "budget" else f"{p.level:.2f}x"
        value = f"{p.value:,.0f}" if p.value is not None else ""
        status = p.status + (f" (plan of {p.from_level:,.6g})" if p.from_level is not None else "")
        table.add_row(level, value, str(len(p.projects)), status, ", ".join(p.projects))
    return table


class _CountProgress:
    """A bar over variants or levels as they finish."""

    def __init__(self, what: str, total: int, quiet: bool):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn(f"solving {what}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[note]}"),
            console=err,
            transient=True,
            disable=quiet,
        )
        self.task = self.progress.add_task(what, total=total, note="")

    def __enter__(self) -> _CountProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, event: dict) -> None:
        note = f"{event['failed']} failed" if event.get("failed") else ""
        self.progress.update(self.task, completed=event["done"], note=note)
