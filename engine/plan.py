"""The plan model: what a solve returns (FORMAT.md, "Plan")."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["optimal", "feasible", "infeasible", "unknown"]


class _Item(BaseModel):
    model_config = ConfigDict(extra="allow")


class Explanation(_Item):
    """Why a project is out, in words (``text``) and data (the other fields)."""

    code: str
    text: str
    skill: str | None = None
    min_level: int | None = None
    periods: list[int] | None = None
    shortfall_hours: float | None = None


class ProjectResult(_Item):
    id: str
    name: str | None = None
    selected: bool
    start_period: int | None = None
    finish_period: int | None = None  # exclusive
    start: dt.date | None = None
    finish: dt.date | None = None
    value: float | None = None
    explanation: Explanation | None = None


class Assignment(_Item):
    staff: str
    project: str
    skill: str
    period: int
    hours: float


class Conflict(_Item):
    projects: list[str]
    skill: str | None = None
    periods: list[int] = Field(default_factory=list)
    shortfall_hours: float = 0.0
    text: str


class Metrics(_Item):
    value: float = 0.0
    cost: float = 0.0
    labour_cost: float = 0.0
    selected: int = 0
    utilisation: float = 0.0
    utilisation_by_skill: dict[str, float] = Field(default_factory=dict)


class Plan(_Item):
    """A portfolio plan: which projects run when, who does the work, and how good it is."""

    scenario: str
    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solve_seconds: float = 0.0
    solver: str = ""
    projects: list[ProjectResult] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    metrics: Metrics = Field(default_factory=Metrics)
    conflicts: list[Conflict] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # what qualifies the status or the bound

    def selected(self) -> list[ProjectResult]:
        return [p for p in self.projects if p.selected]

    def summary(self) -> str:
        """A few lines a board member can read."""
        lines = [f"Plan for {self.scenario!r}: {self.status} ({self.solver})"]
        if self.objective is not None:
            gap = f", gap {self.gap:.2%}" if self.gap is not None else ""
            lines.append(f"  objective {self.objective:,.2f}{gap}, {self.solve_seconds:.1f} s")
        m = self.metrics
        lines.append(
            f"  {m.selected} of {len(self.projects)} projects selected; value {m.value:,.0f}, "
            f"cost {m.cost:,.0f}, utilisation {m.utilisation:.0%}"
        )
        lines.extend(f"  conflict: {c.text}" for c in self.conflicts)
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)
