"""``capacity``: the command line. A thin layer over the library; it alone prints."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from engine.cli_common import PlanArg, ScenarioArg, err, out
from engine.cli_common import load as _load
from engine.cli_common import print_problems as _print_problems
from engine.errors import Problem, ScenarioError

app = typer.Typer(
    help="Resource capacity optimisation for project portfolios.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command()
def validate(scenario: ScenarioArg) -> None:
    """Check a scenario and list every problem found (exit 2 if any is an error)."""
    from engine.io import read_document
    from engine.validation import validate as run

    _, problems = run(read_document(scenario))
    _print_problems(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors:
        err.print(f"{scenario}: {errors} error(s), {warnings} warning(s)")
        raise typer.Exit(2)
    out.print(f"{scenario}: valid ({warnings} warning(s))", highlight=False)


@app.command()
def schema(kind: Annotated[str, typer.Argument(help="'scenario' or 'plan'.")]) -> None:
    """Print the JSON Schema of a scenario or a plan."""
    from pydantic import BaseModel

    from engine.plan import Plan
    from engine.scenario import Scenario

    models: dict[str, type[BaseModel]] = {"scenario": Scenario, "plan": Plan}
    if kind not in models:
        _print_problems([Problem("kind", f"unknown schema '{kind}' (choose scenario or plan)")])
        raise typer.Exit(2)
    print(json.dumps(models[kind].model_json_schema(by_alias=True), indent=2))


@app.command()
def demand(
    scenario: ScenarioArg,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write the full skill x period table here.")
    ] = None,
) -> None:
    """Capacity against demand per skill, with every project at its earliest start."""
    from engine.demand import capacity_vs_demand, unservable_hours
    from engine.problem import build

    data = build(_load(scenario))
    frame = capacity_vs_demand(data)
    if csv is not None:
        frame.to_csv(csv, index=False)
        out.print(f"wrote {csv}")
    out.print(_demand_table(frame))
    short = unservable_hours(data)
    if (short > 0).any():
        periods = short[short > 0]
        out.print(
            f"Counting each person once, {short.sum():,.0f} hours of demand cannot be served in "
            f"{len(periods)} of {len(short)} periods "
            f"(worst: period {periods.idxmax()}, {periods.max():,.0f} h).",
            highlight=False,
        )


def _demand_table(frame) -> Table:
    table = Table(title="Capacity vs demand (all projects at earliest start)")
    for col in (
        "skill",
        "demand h",
        "capacity h",
        "gap h",
        "peak",
        "periods over",
        "utilisation by period",
    ):
        table.add_column(
            col,
            justify="left" if col in ("skill", "utilisation by period") else "right",
            no_wrap=col == "utilisation by period",
        )
    for skill, rows in frame.groupby("skill", sort=False):
        util = rows["utilisation"].fillna(0.0)
        over = int((rows["gap_hours"] < 0).sum())
        table.add_row(
            str(skill),
            f"{rows['demand_hours'].sum():,.0f}",
            f"{rows['capacity_hours'].sum():,.0f}",
            f"{rows['gap_hours'].sum():,.0f}",
            f"{util.max():.0%}",
            f"[red]{over}[/red]" if over else "0",
            _sparkline(util.tolist()),
        )
    return table


def _sparkline(values: list[float]) -> str:
    bars = " ▁▂▃▄▅▆▇"
    cells = []
    for v in values:
        bar = bars[min(int(v * (len(bars) - 1)), len(bars) - 1)] if v <= 1 else "█"
        cells.append(f"[red]{bar}[/red]" if v > 1 else bar)
    return "".join(cells)


@app.command()
def solve(
    scenario: ScenarioArg,
    solver: Annotated[
        str, typer.Option(help="cp-sat (the optimiser) or greedy (the ranking baseline).")
    ] = "cp-sat",
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds (default: policy.time_limit_s).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default: policy.seed).")] = None,
    deterministic: Annotated[
        bool, typer.Option("--deterministic", help="Same input and seed, same plan, whatever the load.")
    ] = False,
    gap: Annotated[
        float | None, typer.Option("--gap", help="Stop once proven within this relative gap, e.g. 0.01.")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the plan (JSON) here.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or tables; for scripts.")] = False,
    recommend: Annotated[
        bool,
        typer.Option("--recommend", help="Also rank where one more FTE adds most value (solves again)."),
    ] = False,
) -> None:
    """Choose projects and starts within capacity and budget, and assign staff."""
    from engine.io import plan_json, write_plan
    from engine.planner import solve as run

    loaded = _load(scenario)
    limit = loaded.policy.time_limit_s if time_limit is None else time_limit
    options = {
        "solver": solver,
        "time_limit": time_limit,
        "seed": seed,
        "deterministic": deterministic,
        "relative_gap": gap,
    }
    if quiet or solver == "greedy":
        plan = run(loaded, **options)  # type: ignore[arg-type]
    else:
        with _SolveProgress(limit) as progress:
            plan = run(loaded, on_progress=progress.update, **options)  # type: ignore[arg-type]
    if recommend and plan.status in ("optimal", "feasible"):
        from engine.recommend import recommend as rank

        found = rank(loaded, plan, time_limit=limit, deterministic=deterministic)
        plan.recommendations = [r.as_dict() for r in found]  # type: ignore[attr-defined]
    if output is not None:
        write_plan(plan, output)
    if quiet:
        if output is None:
            sys.stdout.write(plan_json(plan))
    else:
        out.print(plan.summary(), highlight=False)
        out.print(_plan_table(plan))
        for i, r in enumerate(getattr(plan, "recommendations", None) or [], start=1):
            out.print(f"{i}. {r['text']}", highlight=False)
        if output is not None:
            out.print(f"plan written to {output}")
    if plan.status in ("infeasible", "unknown"):
        raise typer.Exit(1)


class _SolveProgress:
    """A live line while the optimiser runs: time used, best plan so far, bound and gap."""

    def __init__(self, time_limit: float):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("optimising"),
            BarColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[status]}"),
            console=err,
            transient=True,
        )
        self.time_limit = time_limit
        self.task = self.progress.add_task("solve", total=time_limit, status="looking for a first plan")

    def __enter__(self) -> _SolveProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def update(self, event: dict[str, float]) -> None:
        incumbent, bound, gap = event["incumbent"], event["bound"], event["gap"]
        parts = []
        if incumbent == incumbent:  # not NaN
            parts.append(f"best {incumbent:,.0f}")
        if bound == bound:
            parts.append(f"bound {bound:,.0f}")
        if gap == gap:
            parts.append(f"gap {gap:.2%}")
        self.progress.update(
            self.task, completed=min(event["elapsed"], self.time_limit), status="  ".join(parts)
        )


def _plan_table(plan) -> Table:
    table = Table(title="Projects")
    for col in ("project", "in", "start", "finish", "value", "why not"):
        table.add_column(col, overflow="fold")
    for p in sorted(plan.projects, key=lambda p: (not p.selected, p.start_period or 0, p.id)):
        why = p.explanation.text if p.explanation else ""
        table.add_row(
            p.id,
            "[green]yes[/green]" if p.selected else "[red]no[/red]",
            str(p.start or ""),
            str(p.finish or ""),
            f"{p.value:,.0f}" if p.value is not None else "",
            why,
        )
    return table


@app.command()
def check(scenario: ScenarioArg, plan: PlanArg) -> None:
    """Verify a plan against every rule of its scenario (exit 1 on any violation)."""
    from engine.check import check_plan
    from engine.io import load_plan

    problems = check_plan(_load(scenario), load_plan(plan))
    if problems:
        _print_problems(problems)
        err.print(f"{plan}: {len(problems)} violation(s)")
        raise typer.Exit(1)
    out.print(f"{plan}: valid plan for {scenario}", highlight=False)


@app.command()
def explain(
    scenario: ScenarioArg,
    plan: PlanArg,
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="One project (default: every one left out).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout instead of a table.")] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Write the scenario with the extra capacity added (needs -o).")
    ] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where --apply writes.")] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", help="Seconds for the forced-in solve of --project.")
    ] = 10.0,
) -> None:
    """Why projects are out, and what would let them in: the earliest start that fits as
    the plan stands, the least extra capacity at the earliest start, and (with --project)
    what forcing it in would displace."""
    from engine.io import load_plan
    from engine.problem import build
    from engine.whatif import apply_extra, explain_rows, row_json

    loaded, saved = _load(scenario), load_plan(plan)
    if apply and (project is None or output is None):
        err.print("--apply needs --project and -o NEW_SCENARIO")
        raise typer.Exit(2)
    data = build(loaded)
    rows = explain_rows(loaded, data, saved, project, time_limit)
    if apply and output is not None:
        output.write_text(json.dumps(apply_extra(loaded, data, rows[0][2]), indent=2) + "\n", "utf-8")
    if as_json:
        sys.stdout.write(json.dumps([row_json(data, *row) for row in rows], indent=2) + "\n")
    else:
        out.print(rows_table(rows))
    if apply and output is not None:
        err.print(f"scenario with the extra capacity and '{project}' mandatory written to {output}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Run the HTTP API (settings from CAPACITY_* environment variables; see the README)."""
    import uvicorn
    from pydantic import ValidationError

    from api import Settings, create_app
    from engine.io import problems_from

    try:
        settings = Settings()
    except ValidationError as exc:
        _print_problems([Problem(f"CAPACITY_{p.path.upper()}", p.message) for p in problems_from(exc)])
        raise typer.Exit(2) from exc
    logging.getLogger().setLevel(logging.INFO)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def rows_table(rows: list) -> Table:
    table = Table(title="Left out, and what would let them in")
    for col in ("project", "why out", "what would let it in"):
        table.add_column(col, overflow="fold")
    for pid, why, _, text in rows:
        table.add_row(pid, why.text if why is not None else "", text)
    return table


from engine.cli_batch import batch, frontier  # noqa: E402  (the what-if commands)
from engine.cli_compare import compare  # noqa: E402

app.command()(compare)

app.command()(batch)
app.command()(frontier)


importers = typer.Typer(help="Convert other formats to scenarios.", no_args_is_help=True)
app.add_typer(importers, name="import")


@importers.command("psplib")
def import_psplib(
    instance: Annotated[Path, typer.Argument(help="PSPLIB single-mode instance (.sm).", show_default=False)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the scenario (JSON) here.")
    ] = None,
) -> None:
    """A PSPLIB instance as a makespan scenario: resources as pools, jobs as projects."""
    from engine.psplib import import_psplib as convert

    text = json.dumps(convert(instance), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    out.print(f"scenario written to {output}", highlight=False)


def main() -> None:
    """Entry point: run the app, turning every failure into a message and an exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        app()
    except ScenarioError as exc:
        _print_problems(exc.problems)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, never a traceback
        err.print(f"[red]internal error[/red]: {type(exc).__name__}: {exc}", highlight=False)
        sys.exit(3)


if __name__ == "__main__":
    main()
