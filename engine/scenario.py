"""The scenario model: everything the engine needs to plan one portfolio.

Field names follow FORMAT.md, the public contract. Types and simple ranges are checked
here; cross-references (unknown ids, cycles, windows) are checked in ``validation``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# A period may be given as its number (0-based) or as any date inside it.
PeriodRef = int | dt.date

NonNegative = Annotated[float, Field(ge=0)]
Level = Annotated[int, Field(ge=1, le=5)]


class _Item(BaseModel):
    # Extra fields are kept (FORMAT.md: "extend freely") and reported as warnings.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Calendar(_Item):
    start: dt.date
    period: Literal["week", "month"] = "week"
    periods: int = Field(ge=1, le=1000)
    fte_hours: float = Field(default=37.5, gt=0)
    year_start: str = Field(default="04-01", pattern=r"^\d{2}-\d{2}$")


class Skill(_Item):
    id: str = Field(min_length=1)
    name: str | None = None


class Leave(_Item):
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")


class Staff(_Item):
    id: str = Field(min_length=1)
    name: str | None = None
    org: str | None = None
    team: str | None = None
    fte: NonNegative = 1.0
    skills: dict[str, Level] = Field(default_factory=dict)
    cost_per_hour: NonNegative = 0.0
    leave: list[Leave] = Field(default_factory=list)
    fte_by_period: list[NonNegative] | None = None

    @property
    def is_pool(self) -> bool:
        return self.fte > 1


class Demand(_Item):
    skill: str
    fte: NonNegative | None = None
    hours: NonNegative | None = None
    min_level: Level = 1

    @model_validator(mode="after")
    def _one_amount(self) -> Demand:
        if (self.fte is None) == (self.hours is None):
            raise ValueError("give exactly one of 'fte' or 'hours'")
        return self

    def hours_per_period(self, fte_hours: float) -> float:
        return self.hours if self.hours is not None else (self.fte or 0.0) * fte_hours


class Phase(_Item):
    name: str | None = None
    periods: int = Field(ge=1)
    demand: list[Demand] = Field(default_factory=list)


class Dependency(_Item):
    project: str
    lag: int = Field(default=0, ge=0)


class Project(_Item):
    id: str = Field(min_length=1)
    name: str | None = None
    org: str | None = None
    value: NonNegative = 0.0
    cost: NonNegative = 0.0
    priority: Annotated[float, Field(ge=0)] | None = None
    scores: dict[str, Annotated[float, Field(ge=0, le=5)]] = Field(default_factory=dict)
    mandatory: bool = False
    start: PeriodRef | None = None
    earliest_start: PeriodRef | None = None
    latest_finish: PeriodRef | None = None
    cost_of_delay: NonNegative = 0.0
    depends_on: list[Dependency] = Field(default_factory=list)
    phases: list[Phase] = Field(min_length=1)

    @field_validator("depends_on", mode="before")
    @classmethod
    def _plain_ids(cls, value: object) -> object:
        # "depends_on": ["infra"] is shorthand for [{"project": "infra", "lag": 0}].
        if isinstance(value, list):
            return [{"project": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def length(self) -> int:
        """Periods the project runs: its phases back to back."""
        return sum(phase.periods for phase in self.phases)

    @property
    def is_fixed(self) -> bool:
        return self.start is not None


class Driver(_Item):
    id: str = Field(min_length=1)
    name: str | None = None
    weight: NonNegative = 1.0


class Budget(_Item):
    total: NonNegative | None = None
    by_period: list[NonNegative] | None = None
    by_year: dict[str, NonNegative] | None = None
    include_labour: bool = False


class Policy(_Item):
    objective: Literal["value", "priority", "makespan"] = "value"
    budget: Budget | None = None
    max_utilisation: float = Field(default=1.0, gt=0, le=1)
    time_limit_s: float = Field(default=10.0, gt=0)
    seed: int = Field(default=0, ge=0)
    relative_gap: float = Field(default=0.0, ge=0, le=1)


class Scenario(_Item):
    """One portfolio to plan: calendar, skills, staff, projects, drivers and policy."""

    name: str = "scenario"
    calendar: Calendar
    skills: list[Skill] = Field(default_factory=list)
    staff: list[Staff] = Field(default_factory=list)
    projects: list[Project] = Field(default_factory=list)
    drivers: list[Driver] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)

    def project(self, project_id: str) -> Project:
        for project in self.projects:
            if project.id == project_id:
                return project
        raise KeyError(project_id)
