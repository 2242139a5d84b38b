"""Normalisation: a validated scenario as the integer arrays every solver works on.

Hours are held as integer *units* of 1/1000 hour so that solvers can be exact. Demand
is rounded up and capacity down, so a plan that fits in units fits in hours.

Staff who qualify for exactly the same demand classes (skill at a minimum level) are
interchangeable for capacity purposes, so they are pooled into *groups*: a group's
capacity is its members' sum. This aggregation is exact - any per-period flow of work
to groups splits over the members, since each member can serve every class the group
can - and it is how the portfolio step stays small with thousands of people.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from engine.calendar import PeriodCalendar
from engine.scenario import Project, Scenario, Staff

UNITS_PER_HOUR = 1000


def to_units(hours: float, *, up: bool) -> int:
    """Hours as integer units, rounded up (demand) or down (capacity), ignoring float noise."""
    scaled = round(hours * UNITS_PER_HOUR, 6)
    return math.ceil(scaled) if up else math.floor(scaled)


def to_hours(units: float) -> float:
    return round(units / UNITS_PER_HOUR, 3)


@dataclass(frozen=True)
class DemandClass:
    """Work that needs ``skill`` at ``min_level`` or above."""

    skill: int
    min_level: int


@dataclass
class ProblemData:
    """The arrays solvers use. Index names: staff ``p``, group ``g``, class ``c``,
    project ``j``, period ``t``; demand is per project and *relative* period."""

    scenario: Scenario
    calendar: PeriodCalendar
    skill_ids: list[str]
    classes: list[DemandClass]
    staff_ids: list[str]
    capacity: np.ndarray  # (staff, period) units
    levels: np.ndarray  # (staff, skill) 0 = lacks the skill
    cost_per_hour: np.ndarray  # (staff,)
    group_of: np.ndarray  # (staff,) group index, -1 when the person serves no class
    group_members: list[np.ndarray]
    group_capacity: np.ndarray  # (group, period) units
    group_eligible: np.ndarray  # (group, class) bool
    project_ids: list[str]
    length: np.ndarray  # (project,)
    project_classes: list[np.ndarray]  # per project: the classes it needs
    demand: list[np.ndarray]  # per project: (length, len(project_classes[j])) units
    earliest: np.ndarray  # first allowed start period
    delay_from: np.ndarray  # earliest_start as given (0 if none): cost of delay counts from here
    latest: np.ndarray  # last allowed start period (may be < earliest: never fits)
    fixed: np.ndarray  # bool
    mandatory: np.ndarray  # bool, includes fixed starts
    value: np.ndarray
    cost: np.ndarray
    cost_of_delay: np.ndarray
    priority: np.ndarray
    predecessors: list[list[tuple[int, int]]]  # (project, lag)
    period_cost_cap: np.ndarray | None = None  # (period,) from by_period
    year_of_period: np.ndarray | None = None  # (period,) index into year_caps
    year_caps: list[tuple[str, float]] = field(default_factory=list)

    @property
    def num_periods(self) -> int:
        return self.calendar.num_periods

    @property
    def num_projects(self) -> int:
        return len(self.project_ids)

    @property
    def num_groups(self) -> int:
        return len(self.group_members)

    @property
    def objective(self) -> str:
        return self.scenario.policy.objective

    @property
    def total_budget(self) -> float | None:
        budget = self.scenario.policy.budget
        return None if budget is None else budget.total

    @property
    def include_labour(self) -> bool:
        budget = self.scenario.policy.budget
        return bool(budget and budget.include_labour)

    def class_name(self, c: int) -> str:
        cls = self.classes[c]
        skill = self.skill_ids[cls.skill]
        return skill if cls.min_level <= 1 else f"{skill} (level {cls.min_level}+)"

    def dense_demand(self, j: int) -> np.ndarray:
        """Project j's demand as (length, classes) units."""
        dense = np.zeros((int(self.length[j]), len(self.classes)), dtype=np.int64)
        dense[:, self.project_classes[j]] = self.demand[j]
        return dense

    def start_value(self, j: int, start: int) -> float:
        """What project j is worth to the objective when it starts at ``start``."""
        if self.objective == "priority":
            return float(self.priority[j])
        if self.objective == "makespan":
            return 0.0
        return float(self.value[j] - self.cost_of_delay[j] * (start - self.delay_from[j]))


def priority_of(project: Project, scenario: Scenario) -> float:
    """FORMAT.md: given, or 20 * weighted mean driver score (0 to 100)."""
    if project.priority is not None:
        return project.priority
    total = sum(d.weight for d in scenario.drivers)
    if total <= 0:
        return 0.0
    return 20 * sum(d.weight * project.scores.get(d.id, 0.0) for d in scenario.drivers) / total


def build(scenario: Scenario) -> ProblemData:
    """Normalise a validated scenario into :class:`ProblemData`."""
    cal = PeriodCalendar(scenario.calendar)
    skill_ids = [s.id for s in scenario.skills]
    skill_index = {s: i for i, s in enumerate(skill_ids)}
    classes, project_classes, demand = _demand(scenario, skill_index)
    levels = np.zeros((len(scenario.staff), len(skill_ids)), dtype=np.int64)
    for p, person in enumerate(scenario.staff):
        for skill, level in person.skills.items():
            levels[p, skill_index[skill]] = level
    capacity = staff_capacity(scenario, cal)
    group_of, members, group_capacity, group_eligible = _groups(levels, capacity, classes)
    windows = [_window(p, cal) for p in scenario.projects]
    project_index = {p.id: j for j, p in enumerate(scenario.projects)}
    data = ProblemData(
        scenario=scenario,
        calendar=cal,
        skill_ids=skill_ids,
        classes=classes,
        staff_ids=[s.id for s in scenario.staff],
        capacity=capacity,
        levels=levels,
        cost_per_hour=np.array([s.cost_per_hour for s in scenario.staff], dtype=float),
        group_of=group_of,
        group_members=members,
        group_capacity=group_capacity,
        group_eligible=group_eligible,
        project_ids=list(project_index),
        length=np.array([p.length for p in scenario.projects], dtype=np.int64),
        project_classes=project_classes,
        demand=demand,
        earliest=np.array([w[0] for w in windows], dtype=np.int64),
        delay_from=np.array(
            [
                0 if p.earliest_start is None else max(cal.resolve(p.earliest_start), 0)
                for p in scenario.projects
            ],
            dtype=np.int64,
        ),
        latest=np.array([w[1] for w in windows], dtype=np.int64),
        fixed=np.array([p.start is not None for p in scenario.projects], dtype=bool),
        mandatory=np.array(
            [
                p.mandatory or p.start is not None or scenario.policy.objective == "makespan"
                for p in scenario.projects
            ],
            dtype=bool,
        ),
        value=np.array([p.value for p in scenario.projects], dtype=float),
        cost=np.array([p.cost for p in scenario.projects], dtype=float),
        cost_of_delay=np.array([p.cost_of_delay for p in scenario.projects], dtype=float),
        priority=np.array([priority_of(p, scenario) for p in scenario.projects], dtype=float),
        predecessors=[[(project_index[d.project], d.lag) for d in p.depends_on] for p in scenario.projects],
    )
    _budget(data)
    _close_mandatory(data)
    return data


def _close_mandatory(data: ProblemData) -> None:
    """A mandatory project's predecessors are mandatory too (a project needs its predecessors)."""
    stack = [int(j) for j in np.flatnonzero(data.mandatory)]
    while stack:
        for pred, _ in data.predecessors[int(stack.pop())]:
            if not data.mandatory[pred]:
                data.mandatory[pred] = True
                stack.append(pred)


def _demand(
    scenario: Scenario, skill_index: dict[str, int]
) -> tuple[list[DemandClass], list[np.ndarray], list[np.ndarray]]:
    class_index: dict[DemandClass, int] = {}
    hours_per_unit = scenario.calendar.fte_hours
    project_classes, demand = [], []
    for project in scenario.projects:
        rows: list[dict[int, int]] = []
        for phase in project.phases:
            needs: dict[int, int] = {}
            for item in phase.demand:
                cls = DemandClass(skill_index[item.skill], item.min_level)
                c = class_index.setdefault(cls, len(class_index))
                units = to_units(item.hours_per_period(hours_per_unit), up=True)
                needs[c] = needs.get(c, 0) + units
            rows += [needs] * phase.periods
        used = np.array(sorted({c for row in rows for c, u in row.items() if u > 0}), dtype=np.int64)
        matrix = np.array([[row.get(int(c), 0) for c in used] for row in rows], dtype=np.int64)
        project_classes.append(used)
        demand.append(matrix.reshape(len(rows), len(used)))
    return list(class_index), project_classes, demand


def staff_capacity(scenario: Scenario, cal: PeriodCalendar) -> np.ndarray:
    """Each person's hours per period (units): FTE, leave pro rata by weekdays, ceiling."""
    fte_hours = scenario.calendar.fte_hours
    util = scenario.policy.max_utilisation
    working = cal.working_days.astype(float)
    rows = [_person_hours(person, cal, working) * fte_hours * util for person in scenario.staff]
    hours = np.array(rows, dtype=float).reshape(len(scenario.staff), cal.num_periods)
    return np.floor(np.round(hours * UNITS_PER_HOUR, 6)).astype(np.int64)


def _person_hours(person: Staff, cal: PeriodCalendar, working: np.ndarray) -> np.ndarray:
    fte = np.array(
        person.fte_by_period if person.fte_by_period is not None else [person.fte] * cal.num_periods
    )
    away = np.zeros(cal.num_periods)
    for start, end in _merged(person):
        away += cal.leave_days(start, end)
    share_away = np.divide(away, working, out=np.zeros_like(away), where=working > 0)
    return fte * (1.0 - np.minimum(share_away, 1.0))


def _merged(person: Staff) -> list[tuple[dt.date, dt.date]]:
    """Leave ranges with overlaps merged, so a day off counts once."""
    merged: list[tuple[dt.date, dt.date]] = []
    for start, end in sorted((leave.start, leave.end) for leave in person.leave):
        if merged and (start - merged[-1][1]).days <= 1:  # overlapping or adjacent (no date past 9999-12-31)
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _groups(
    levels: np.ndarray, capacity: np.ndarray, classes: list[DemandClass]
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """Pool staff by the set of classes they can serve (see module docstring)."""
    eligible = np.zeros((levels.shape[0], len(classes)), dtype=bool)
    for c, cls in enumerate(classes):
        eligible[:, c] = levels[:, cls.skill] >= cls.min_level
    group_of = np.full(levels.shape[0], -1, dtype=np.int64)
    signatures: dict[bytes, int] = {}
    for p in range(levels.shape[0]):
        if eligible[p].any():
            group_of[p] = signatures.setdefault(eligible[p].tobytes(), len(signatures))
    members = [np.flatnonzero(group_of == g) for g in range(len(signatures))]
    group_capacity = np.array([capacity[m].sum(axis=0) for m in members], dtype=np.int64)
    group_capacity = group_capacity.reshape(len(members), capacity.shape[1])
    group_eligible = np.array([eligible[m[0]] for m in members], dtype=bool).reshape(
        len(members), len(classes)
    )
    return group_of, members, group_capacity, group_eligible


def _window(project: Project, cal: PeriodCalendar) -> tuple[int, int]:
    if project.start is not None:
        start = cal.resolve(project.start)
        return start, start
    earliest = 0 if project.earliest_start is None else max(cal.resolve(project.earliest_start), 0)
    finish = cal.num_periods
    if project.latest_finish is not None:
        finish = min(finish, cal.resolve(project.latest_finish) + 1)
    return earliest, finish - project.length


def _budget(data: ProblemData) -> None:
    budget = data.scenario.policy.budget
    if budget is None:
        return
    if budget.by_period is not None:
        data.period_cost_cap = np.array(budget.by_period, dtype=float)
    if budget.by_year:
        years = [data.calendar.financial_year(t) for t in range(data.num_periods)]
        caps = {int(y): cap for y, cap in budget.by_year.items()}
        data.year_caps = [(str(y), caps[y]) for y in sorted(set(years)) if y in caps]
        index = {int(y): i for i, (y, _) in enumerate(data.year_caps)}
        data.year_of_period = np.array([index.get(y, -1) for y in years], dtype=np.int64)
