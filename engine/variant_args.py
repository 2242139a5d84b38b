"""The arguments of each kind of change (``engine.variants``), checked field by field."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.scenario import Level, PeriodRef


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def listed(value: object) -> object:
    return [value] if isinstance(value, str) else value


Ids = Annotated[list[str], Field(min_length=1)]


class AddStaff(_Args):
    id: str = Field(min_length=1)
    name: str | None = None
    fte: float = Field(default=1.0, gt=0)
    skills: dict[str, Level] = Field(min_length=1)
    cost_per_hour: float = Field(default=0.0, ge=0)
    start: PeriodRef | None = Field(default=None, alias="from")
    end: PeriodRef | None = Field(default=None, alias="to")


class AddCapacity(_Args):
    skill: str
    fte: float = Field(ge=0)
    level: Level = 3
    id: str | None = None
    cost_per_hour: float = Field(default=0.0, ge=0)
    start: PeriodRef | None = Field(default=None, alias="from")
    end: PeriodRef | None = Field(default=None, alias="to")


class RemoveStaff(_Args):
    staff: Ids
    start: PeriodRef | None = Field(default=None, alias="from")
    _ids = field_validator("staff", mode="before")(listed)


class ScaleCapacity(_Args):
    factor: float = Field(ge=0)
    skill: str | None = None
    start: PeriodRef | None = Field(default=None, alias="from")
    end: PeriodRef | None = Field(default=None, alias="to")


class SetBudget(_Args):
    total: float | None = Field(default=None, ge=0)
    factor: float | None = Field(default=None, ge=0)


class FixStart(_Args):
    project: str
    start: PeriodRef


class ShiftStart(_Args):
    project: str
    periods: int


class ScaleProjects(_Args):
    factor: float = Field(ge=0)
    projects: Ids | None = None
    skill: str | None = None
    _ids = field_validator("projects", mode="before")(listed)
