"""What every ``capacity`` command shares: the consoles, argument types, loading and problems."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from engine.errors import Problem

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario file (JSON or YAML).", show_default=False)]
PlanArg = Annotated[Path, typer.Argument(help="Plan file (JSON).", show_default=False)]


def print_problems(problems: list[Problem]) -> None:
    for p in problems:
        style = "red" if p.severity == "error" else "yellow"
        err.print(f"[{style}]{p.severity}[/{style}] {p}", highlight=False, soft_wrap=True)


def load(path: Path):
    from engine.io import load_scenario

    return load_scenario(path)
