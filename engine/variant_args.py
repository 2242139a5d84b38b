"""The arguments of each kind of change (``engine.variants``), checked field by field."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.scenario import Factor, Fte, Level, Money, PeriodRef, Rate, Shift


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def listed(value: object) -> object:
    return [value] if isinstance(value, str) else value


Ids = Annotated[list[str], Field(min_length=1)]


class AddStaff(_Args):
    id: str = Field(min_length=1)
    name: str | None = None
    fte: Annotated[Fte, Field(gt=0)] = 1.0
    skills: dict[str, Level] = Field(min_length=1)
    cost_per_hour: Rate = 0.0
    start: PeriodRef | None = Field(default=None, alias="from")
    end: PeriodRef | None = Field(default=None, alias="to")


class AddCapacity(_Args):
    skill: str
    fte: Fte
    level: Level = 3
    id: str | None = None
    cost_per_hour: Rate = 0.0
    start: PeriodRef | None = Field(default=None, alias="from")
    end: PeriodRef | None = Field(default=None, alias="to")


class RemoveStaff(_Args):
    staff: Ids
    start: PeriodRef | None = Field(default=None, alias="from")
    _ids = field_validator("staff", mode="before")(listed)


class ScaleCapacity(_Args):
    factor: Factor
    skill: str | None = None
    start: PeriodRef | None = Field(default=None, alias="from")
    end: PeriodRef | None = Field(default=None, alias="to")


class SetBudget(_Args):
    total: Money | None = None
    factor: Factor | None = None


class FixStart(_Args):
    project: str
    start: PeriodRef


class ShiftStart(_Args):
    project: str
    periods: Shift


class ScaleProjects(_Args):
    factor: Factor
    projects: Ids | None = None
    skill: str | None = None
    _ids = field_validator("projects", mode="before")(listed)
