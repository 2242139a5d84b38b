"""What ``capacity explain`` shows: rows of why each project is out and what would let it in."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from engine.plan import Plan
from engine.problem import ProblemData
from engine.scenario import Scenario
from engine.whatif import describe, displaced_if_forced, let_in

Row = tuple[str, Any, Any, str]


def explain_rows(
    scenario: Scenario, data: ProblemData, plan: Plan, project: str | None, time_limit: float
) -> list[Row]:
    """One row per project left out (or the one asked for, with what forcing it in displaces)."""
    chosen = [project] if project else [p.id for p in plan.projects if not p.selected]
    rows = []
    for pid in chosen:
        answer = let_in(data, plan, pid)
        if project:
            answer.displaces = displaced_if_forced(scenario, plan, pid, time_limit)
        result = next((p for p in plan.projects if p.id == pid), None)
        why = result.explanation if result is not None else None
        rows.append((pid, why, answer, describe(data, answer)))
    return rows


def row_json(data: Any, pid: str, why: Any, answer: Any, text: str) -> dict[str, Any]:
    return {
        "project": pid,
        "explanation": why.model_dump(exclude_none=True) if why is not None else None,
        "let_in": answer.as_dict(data),
        "text": text,
    }


def rows_table(rows: list[Row]) -> Table:
    table = Table(title="Left out, and what would let them in")
    for col in ("project", "why out", "what would let it in"):
        table.add_column(col, overflow="fold")
    for pid, why, _, text in rows:
        table.add_row(pid, why.text if why is not None else "", text)
    return table
