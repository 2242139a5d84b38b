"""The scenario model: everything the engine needs to plan one portfolio.

Field names follow FORMAT.md, the public contract. Types and simple ranges are checked
here; cross-references (unknown ids, cycles, windows) are checked in ``validation``.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Limits: far beyond any real portfolio, and small enough that the solvers' integer arithmetic
# (thousandths of an hour and hundredths of money, inside CP-SAT's 62 bits) stays exact.
# docs/FORMAT-NOTES.md ("Limits") says where each comes from; engine.validation checks the totals.
MAX_PERIODS = 1_000  # calendar periods; also the longest phase and dependency lag
MAX_FTE = 100_000  # one person or pool, or one demand line, per period
MAX_FTE_HOURS = 1_000  # hours per FTE per period (a 31-day month has 744)
MAX_HOURS = MAX_FTE * MAX_FTE_HOURS  # a demand line's hours per period: 100,000,000
MAX_MONEY = 10**15  # value, cost, cost of delay, budgets
MAX_RATE = 10**9  # cost_per_hour
MAX_PRIORITY = 10**6  # a given priority (computed ones are 0 to 100)
MAX_WEIGHT = 10**6  # a driver's weight
MAX_SEED = 2**31 - 1  # CP-SAT's random seed is a 32-bit integer
MAX_FACTOR = 1_000  # a what-if change's scale factor (the scaled scenario is checked again)
# Totals over the whole scenario (checked in engine.validation):
MAX_TOTAL_HOURS = 10**12  # all projects' demand; all staff's capacity over the horizon
MAX_WORTH = 10**18  # the projects' value plus cost of delay over the horizon
MAX_SPEND = 10**13  # with a budget: the projects' cost, and labour at the dearest rate if counted


def shown(number: float) -> str:
    """A number as people write it: 100,000,000, 0.5 or 1e+16."""
    try:
        return f"{float(number):,.16g}"
    except OverflowError:  # an integer beyond any float
        return f"{Decimal(number):.3e}"


def _number(limit: float | None = None) -> BeforeValidator:
    """Refuse what JSON lets through as a number but is none: true/false (Python's 1 and 0),
    infinity (``1e999``) and NaN; and numbers above ``limit``, naming it. Pydantic's own
    checks follow (ranges, and text such as "1.5")."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"must be a number, not {str(value).lower()}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        if limit is not None and isinstance(value, int | float) and value > limit:
            raise ValueError(f"must be at most {shown(limit)}, not {shown(value)}")
        return value

    return BeforeValidator(check)


def _whole(what: str = "a whole number") -> BeforeValidator:
    """Refuse true/false where a whole number is expected (pydantic reads them as 1 and 0)."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(f"must be {what}, not {str(value).lower()}")
        return value

    return BeforeValidator(check)


# Every number in a scenario is finite, and most are limited above (see the limits).
Hours = Annotated[float, Field(ge=0, le=MAX_HOURS, allow_inf_nan=False), _number(MAX_HOURS)]
Fte = Annotated[float, Field(ge=0, le=MAX_FTE, allow_inf_nan=False), _number(MAX_FTE)]
Money = Annotated[float, Field(ge=0, le=MAX_MONEY, allow_inf_nan=False), _number(MAX_MONEY)]
Rate = Annotated[float, Field(ge=0, le=MAX_RATE, allow_inf_nan=False), _number(MAX_RATE)]
Priority = Annotated[float, Field(ge=0, le=MAX_PRIORITY, allow_inf_nan=False), _number(MAX_PRIORITY)]
Weight = Annotated[float, Field(ge=0, le=MAX_WEIGHT, allow_inf_nan=False), _number(MAX_WEIGHT)]
Score = Annotated[float, Field(ge=0, le=5, allow_inf_nan=False), _number()]
Level = Annotated[int, Field(ge=1, le=5), _whole()]
Periods = Annotated[int, Field(ge=1, le=MAX_PERIODS), _whole()]
# What-if changes (engine.variant_args): a scale factor, and a shift of a start in periods.
Factor = Annotated[float, Field(ge=0, le=MAX_FACTOR, allow_inf_nan=False), _number(MAX_FACTOR)]
Shift = Annotated[int, Field(ge=-MAX_PERIODS, le=MAX_PERIODS), _whole()]

# A period may be given as its number (0-based) or as any date inside it.
PeriodRef = Annotated[int | dt.date, _whole("a period number or a date")]


class _Item(BaseModel):
    # Extra fields are kept (FORMAT.md: "extend freely") and reported as warnings.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Calendar(_Item):
    start: dt.date
    period: Literal["week", "month"] = "week"
    periods: Periods
    fte_hours: Annotated[
        float, Field(gt=0, le=MAX_FTE_HOURS, allow_inf_nan=False), _number(MAX_FTE_HOURS)
    ] = 37.5
    year_start: str = Field(default="04-01", pattern=r"^\d{2}-\d{2}$")

    @field_validator("periods")
    @classmethod
    def _ends_by_the_last_date(cls, periods: int, info: ValidationInfo) -> int:
        # The engine works with the day after the horizon, so that day must exist.
        start, period = info.data.get("start"), info.data.get("period")
        if start is None or period is None:
            return periods
        if period == "week":
            fits = start.toordinal() + 7 * periods <= dt.date.max.toordinal()
        else:
            fits = (start.year * 12 + start.month - 1 + periods) // 12 <= dt.date.max.year
        if not fits:
            raise ValueError(
                f"{periods} {period}{'s' if periods > 1 else ''} from {start} run past {dt.date.max}, "
                "the last date there is"
            )
        return periods


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
    fte: Fte = 1.0
    skills: dict[str, Level] = Field(default_factory=dict)
    cost_per_hour: Rate = 0.0
    leave: list[Leave] = Field(default_factory=list)
    fte_by_period: list[Fte] | None = None

    @property
    def is_pool(self) -> bool:
        return self.fte > 1


class Demand(_Item):
    skill: str
    fte: Fte | None = None
    hours: Hours | None = None
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
    periods: Periods
    demand: list[Demand] = Field(default_factory=list)


class Dependency(_Item):
    project: str
    lag: Annotated[int, Field(ge=0, le=MAX_PERIODS), _whole()] = 0


class Project(_Item):
    id: str = Field(min_length=1)
    name: str | None = None
    org: str | None = None
    value: Money = 0.0
    cost: Money = 0.0
    priority: Priority | None = None
    scores: dict[str, Score] = Field(default_factory=dict)
    mandatory: bool = False
    start: PeriodRef | None = None
    earliest_start: PeriodRef | None = None
    latest_finish: PeriodRef | None = None
    cost_of_delay: Money = 0.0
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
    weight: Weight = 1.0


class Budget(_Item):
    total: Money | None = None
    by_period: list[Money] | None = None
    by_year: dict[str, Money] | None = None
    include_labour: bool = False


class Policy(_Item):
    objective: Literal["value", "priority", "makespan"] = "value"
    budget: Budget | None = None
    max_utilisation: Annotated[float, Field(gt=0, le=1), _number()] = 1.0
    time_limit_s: Annotated[float, Field(gt=0, allow_inf_nan=False), _number()] = 10.0
    seed: Annotated[int, Field(ge=0, le=MAX_SEED), _whole()] = 0
    relative_gap: Annotated[float, Field(ge=0, le=1), _number()] = 0.0


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
