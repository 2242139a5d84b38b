"""``capacity compare``: plans side by side, drawn as tables (the comparison is engine.compare)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from engine.cli_common import load as _load
from engine.cli_common import out
from engine.compare import Comparison, PlanSummary, ProjectInPlan, SkillUse
from engine.errors import Problem, ScenarioError
from engine.plan import Plan


def compare(
    plans: Annotated[
        list[Path],
        typer.Argument(help="Two or more plan files (JSON); the first is the baseline.", show_default=False),
    ],
    scenario: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            "-s",
            help="Scenario file, for capacity and utilisation: once for all plans, or one per plan in order.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON, no tables.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the comparison (JSON) here.")
    ] = None,
) -> None:
    """Plans side by side against the first: projects in, out and moved; value, cost, utilisation."""
    from engine.compare import compare_plans

    loaded = _load_plans(plans)
    scenarios = [_load(path) for path in scenario or []]
    comparison = compare_plans(loaded, scenarios, _plan_names(plans))
    text = comparison.model_dump_json(indent=2) + "\n"
    if output is not None:
        output.write_text(text, encoding="utf-8")
    if as_json:
        sys.stdout.write(text)
        return
    out.print(comparison.summary(), highlight=False)
    for table in _comparison_tables(comparison):
        out.print(table)
    if output is not None:
        out.print(f"comparison written to {output}", highlight=False)


def _plan_names(paths: list[Path]) -> list[str] | None:
    """File names without extension as plan names; whole paths if those repeat."""
    for names in ([p.stem for p in paths], [str(p) for p in paths]):
        if len(set(names)) == len(names):
            return names
    return None  # the same file twice: the library numbers them


def _load_plans(paths: list[Path]) -> list[Plan]:
    """Every plan file read, or every problem in any of them, each naming its file."""
    from engine.io import load_plan

    plans: list[Plan] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            plans.append(load_plan(path))
        except ScenarioError as exc:
            problems += [
                p if p.path.startswith(str(path)) else Problem(f"{path}: {p.path}", p.message, p.severity)
                for p in exc.problems
            ]
    if problems:
        raise ScenarioError(problems)
    return plans


def _comparison_tables(comparison: Comparison) -> list[Table]:
    """The comparison as rich tables: headline figures, projects, utilisation by skill."""
    return [_plans_table(comparison), _projects_table(comparison), _skills_table(comparison)]


def _plans_table(comparison: Comparison) -> Table:
    table = Table(title="Plans")
    table.add_column("")
    for plan in comparison.plans:
        table.add_column(plan.name, justify="right")
    rows: list[tuple[str, list[str]]] = [
        ("status", [p.status for p in comparison.plans]),
        ("solver", [p.solver for p in comparison.plans]),
        ("objective", [_number(p.objective) for p in comparison.plans]),
        ("gap", ["" if p.gap is None else f"{p.gap:.2%}" for p in comparison.plans]),
        ("value", [_number(p.value) for p in comparison.plans]),
        ("cost", [_number(p.cost) for p in comparison.plans]),
        ("projects selected", [str(p.selected) for p in comparison.plans]),
        ("in / out / moved", ["baseline"] + [_changes(p) for p in comparison.plans[1:]]),
        ("assigned hours", [_number(p.assigned_hours) for p in comparison.plans]),
    ]
    for label, cells in rows:
        table.add_row(label, *cells)
    return table


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _changes(plan: PlanSummary) -> str:
    return f"{len(plan.projects_in)} / {len(plan.projects_out)} / {len(plan.projects_moved)}"


def _projects_table(comparison: Comparison) -> Table:
    table = Table(title=f"Projects (against '{comparison.baseline}')")
    table.add_column("project", overflow="fold")
    for plan in comparison.plans:
        table.add_column(plan.name, overflow="fold")
    for project in comparison.projects:
        table.add_row(project.id, *(_project_cell(entry) for entry in project.plans))
    return table


def _project_cell(entry: ProjectInPlan) -> str:
    """'2027-05-03 to 2027-08-22' with the change against the baseline, coloured."""
    if not entry.listed:
        return "[dim]not in portfolio[/dim]"
    if not entry.selected:
        return "[red]out[/red]" if entry.change == "out" else "[dim]out[/dim]"
    if entry.start is not None and entry.finish is not None:
        when = f"{entry.start} to {entry.finish}"
    else:
        when = f"periods {entry.start_period} to {entry.finish_period}"
    if entry.change == "in":
        return f"[green]in[/green] {when}"
    if entry.change == "moved":
        return f"{when} [yellow]({entry.shift_periods:+d})[/yellow]"
    return when


def _skills_table(comparison: Comparison) -> Table:
    table = Table(title="Utilisation by skill (hours assigned / capacity of the skill's holders)")
    table.add_column("skill")
    for plan in comparison.plans:
        table.add_column(plan.name, justify="right")
    for k, skill in enumerate(comparison.plans[0].skills):
        cells = [_use_cell(plan.skills[k]) for plan in comparison.plans]
        table.add_row(skill.skill, *cells)
    return table


def _use_cell(use: SkillUse) -> str:
    hours = f"{use.assigned_hours:,.0f} h"
    if use.capacity_hours is None:
        return hours
    if use.utilisation is None:
        return f"{hours} (no capacity)"
    return f"{use.utilisation:.0%} ({use.assigned_hours:,.0f} of {use.capacity_hours:,.0f} h)"
