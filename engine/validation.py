"""Validation a resource manager can act on: every problem at once, each with its path.

Parsing is tolerant: each skill, person, project and driver is checked on its own, so
one malformed project does not hide the problems of the others, and the cross-reference
checks (unknown ids, cycles, windows, reachable demand) still run on everything that
parsed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from engine.calendar import PeriodCalendar
from engine.errors import Problem, ScenarioError
from engine.io import problems_from
from engine.scenario import (
    MAX_SPEND,
    MAX_TOTAL_HOURS,
    MAX_WORTH,
    Calendar,
    Demand,
    Driver,
    Policy,
    Project,
    Scenario,
    Skill,
    Staff,
    shown,
)

log = logging.getLogger(__name__)

_SECTIONS: dict[str, type[BaseModel]] = {
    "skills": Skill,
    "staff": Staff,
    "projects": Project,
    "drivers": Driver,
}


def parse_scenario(data: Any, *, source: str = "") -> Scenario:
    """A validated :class:`Scenario`, or :class:`ScenarioError` listing every error.

    Warnings are logged; call :func:`validate` to get them as data.
    """
    scenario, problems = validate(data)
    if scenario is None or any(p.severity == "error" for p in problems):
        raise ScenarioError(problems)
    for warning in problems:
        log.warning("%s%s", f"{source}: " if source else "", warning)
    return scenario


def validate(data: Any) -> tuple[Scenario | None, list[Problem]]:
    """Check a scenario document; return the scenario (None if unusable) and all problems."""
    if not isinstance(data, dict):
        return None, [Problem("", "a scenario must be an object with calendar, skills, staff and projects")]
    parts = _Parts(data)
    problems = list(parts.problems)
    problems += _unknown_fields(data)
    if parts.calendar is not None:
        problems += list(_Checker(parts).run())
    if any(p.severity == "error" for p in problems):
        return None, problems
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:  # only reached if a check above missed something
        return None, problems + problems_from(exc)
    return scenario, problems


@dataclass
class _Parts:
    """The scenario's sections parsed one item at a time (None where an item is broken)."""

    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.calendar = self._one("calendar", Calendar, required=True)
        self.policy = self._one("policy", Policy, required=False) or Policy()
        self.skills: list[Skill | None] = self._many("skills")  # type: ignore[assignment]
        self.staff: list[Staff | None] = self._many("staff")  # type: ignore[assignment]
        self.projects: list[Project | None] = self._many("projects")  # type: ignore[assignment]
        self.drivers: list[Driver | None] = self._many("drivers")  # type: ignore[assignment]
        if "name" in self.data and not isinstance(self.data["name"], str):
            self.problems.append(Problem("name", "must be text"))

    def _one(self, key: str, model: type[BaseModel], *, required: bool) -> Any:
        if key not in self.data:
            if required:
                self.problems.append(Problem(key, "is required"))
            return None
        try:
            return model.model_validate(self.data[key])
        except ValidationError as exc:
            self.problems += problems_from(exc, key)
            return None

    def _many(self, key: str) -> list[BaseModel | None]:
        raw = self.data.get(key, [])
        if not isinstance(raw, list):
            self.problems.append(Problem(key, "must be a list"))
            return []
        return [self._one_item(key, i, item) for i, item in enumerate(raw)]

    def _one_item(self, key: str, i: int, item: Any) -> BaseModel | None:
        try:
            return _SECTIONS[key].model_validate(item)
        except ValidationError as exc:
            self.problems += problems_from(exc, f"{key}[{i}]")
            return None

    def raw_skills(self, i: int) -> dict[str, int]:
        """The skills a broken person names, each taken at the top level (avoids knock-on
        reports that nobody holds a skill)."""
        person = self.data["staff"][i]
        skills = person.get("skills") if isinstance(person, dict) else None
        return {str(skill): 5 for skill in skills} if isinstance(skills, dict) else {}

    def raw_ids(self, key: str) -> set[str]:
        """Ids present in the raw section, broken items included (avoids knock-on errors)."""
        raw = self.data.get(key, [])
        items = raw if isinstance(raw, list) else []
        return {str(x["id"]) for x in items if isinstance(x, dict) and "id" in x}


def _unknown_fields(data: dict[str, Any]) -> list[Problem]:
    known = set(Scenario.model_fields)
    return [Problem(key, f"unknown field '{key}' is ignored", "warning") for key in data if key not in known]


class _Checker:
    """Cross-reference and feasibility checks over the parsed parts."""

    def __init__(self, parts: _Parts):
        self.parts = parts
        assert parts.calendar is not None
        self.cal = PeriodCalendar(parts.calendar)
        self.horizon = parts.calendar.periods
        self.skill_ids = parts.raw_ids("skills")
        self.project_ids = parts.raw_ids("projects")
        self.driver_ids = parts.raw_ids("drivers")

    def run(self) -> Iterator[Problem]:
        yield from self._duplicates()
        yield from self._staff()
        yield from self._budget()
        yield from self._totals()
        for i, project in enumerate(self.parts.projects):
            if project is not None:
                yield from self._project(i, project)
        cycles = list(self._cycles())
        yield from cycles
        if not cycles:
            yield from _Reachability(self).run()

    def _duplicates(self) -> Iterator[Problem]:
        for key in ("skills", "staff", "projects", "drivers"):
            seen: dict[str, int] = {}
            for i, item in enumerate(getattr(self.parts, key)):
                if item is None:
                    continue
                if item.id in seen:
                    yield Problem(f"{key}[{i}].id", f"duplicate id '{item.id}' (also {key}[{seen[item.id]}])")
                seen.setdefault(item.id, i)

    def _staff(self) -> Iterator[Problem]:
        for i, person in enumerate(self.parts.staff):
            if person is None:
                continue
            path = f"staff[{i}]"
            for skill in person.skills:
                if skill not in self.skill_ids:
                    yield Problem(f"{path}.skills.{skill}", f"unknown skill '{skill}'")
            if person.fte_by_period is not None and len(person.fte_by_period) != self.horizon:
                yield Problem(
                    f"{path}.fte_by_period",
                    f"has {len(person.fte_by_period)} values but the calendar has {self.horizon} periods",
                )
            for j, leave in enumerate(person.leave):
                if leave.end < leave.start:
                    yield Problem(
                        f"{path}.leave[{j}]", f"ends ({leave.end}) before it starts ({leave.start})"
                    )
            if not person.skills:
                yield Problem(
                    f"{path}.skills",
                    f"'{person.id}' has no skills, so cannot be planned",
                    "warning",
                )

    def _budget(self) -> Iterator[Problem]:
        budget = self.parts.policy.budget
        if budget is None:
            return
        if budget.by_period is not None and len(budget.by_period) != self.horizon:
            yield Problem(
                "policy.budget.by_period",
                f"has {len(budget.by_period)} values but the calendar has {self.horizon} periods",
            )
        for year in budget.by_year or {}:
            if not (year.isascii() and year.isdigit()):
                yield Problem(
                    f"policy.budget.by_year.{year}",
                    'financial years are named by their first calendar year, e.g. "2027"',
                )

    def _totals(self) -> Iterator[Problem]:
        """Sums the solvers hold as exact integers stay within the limits (engine.scenario)."""
        assert self.parts.calendar is not None
        fte_hours = self.parts.calendar.fte_hours
        projects = [p for p in self.parts.projects if p is not None]
        staff = [s for s in self.parts.staff if s is not None]
        demand = sum(hours for p in projects for _, hours in _demand_hours(p, fte_hours))
        if demand > MAX_TOTAL_HOURS:
            yield Problem(
                "projects",
                f"their demand adds up to {shown(demand)} hours, more than the "
                f"{shown(MAX_TOTAL_HOURS)} the engine can plan",
            )
        fte = sum(
            sum(s.fte_by_period) if s.fte_by_period is not None else s.fte * self.horizon for s in staff
        )
        if fte * fte_hours > MAX_TOTAL_HOURS:
            yield Problem(
                "staff",
                f"their capacity adds up to {shown(fte * fte_hours)} hours over the horizon, more than "
                f"the {shown(MAX_TOTAL_HOURS)} the engine can plan",
            )
        worth = sum(p.value + p.cost_of_delay * self.horizon for p in projects)
        if worth > MAX_WORTH:
            yield Problem(
                "projects",
                f"their value and cost of delay (over the {self.horizon} periods) add up to {shown(worth)}, "
                f"more than the {shown(MAX_WORTH)} the engine can weigh",
            )
        budget = self.parts.policy.budget
        if budget is None:
            return
        spend = sum(p.cost for p in projects)
        if budget.include_labour:
            rate = _dearest_rates(staff)
            spend += sum(
                hours * rate.get((demand.skill, demand.min_level), 0.0)
                for p in projects
                for demand, hours in _demand_hours(p, fte_hours)
            )
        if spend > MAX_SPEND:
            labour = " (with labour at the dearest qualified rate)" if budget.include_labour else ""
            yield Problem(
                "policy.budget",
                f"the projects' costs{labour} add up to {shown(spend)}, more than the "
                f"{shown(MAX_SPEND)} a budget can be planned for",
            )

    def period(self, path: str, ref: Any, *, what: str) -> Iterator[Problem]:
        t = self.cal.resolve(ref)
        if t < 0:
            yield Problem(path, f"{what} {ref} is before the calendar starts ({self.cal.starts[0]})")
        elif t >= self.horizon:
            yield Problem(
                path,
                f"{what} {ref} is after the horizon ends ({self.cal.last_day(self.horizon - 1)})",
            )

    def _project(self, i: int, project: Project) -> Iterator[Problem]:
        path = f"projects[{i}]"
        for key, ref in (
            ("start", project.start),
            ("earliest_start", project.earliest_start),
            ("latest_finish", project.latest_finish),
        ):
            if ref is not None:
                yield from self.period(
                    f"{path}.{key}", ref, what="date" if not isinstance(ref, int) else "period"
                )
        yield from self._window(path, project)
        for j, dep in enumerate(project.depends_on):
            if dep.project == project.id:
                yield Problem(f"{path}.depends_on[{j}]", f"'{project.id}' cannot depend on itself")
            elif dep.project not in self.project_ids:
                yield Problem(f"{path}.depends_on[{j}]", f"unknown project '{dep.project}'")
        for driver in project.scores:
            if driver not in self.driver_ids:
                yield Problem(f"{path}.scores.{driver}", f"unknown driver '{driver}'")
        for k, phase in enumerate(project.phases):
            if not phase.demand:
                yield Problem(f"{path}.phases[{k}].demand", "phase has no demand", "warning")
            for d, demand in enumerate(phase.demand):
                if demand.skill not in self.skill_ids:
                    yield Problem(f"{path}.phases[{k}].demand[{d}].skill", f"unknown skill '{demand.skill}'")

    def window(self, project: Project) -> tuple[int, int]:
        """Earliest start and latest finish (exclusive), as periods, clipped to the horizon."""
        earliest = 0 if project.earliest_start is None else self.cal.resolve(project.earliest_start)
        finish = self.horizon
        if project.latest_finish is not None:
            finish = min(finish, self.cal.resolve(project.latest_finish) + 1)
        return max(earliest, 0), finish

    def _window(self, path: str, project: Project) -> Iterator[Problem]:
        earliest, finish = self.window(project)
        if earliest + project.length > finish:
            yield Problem(
                path,
                f"'{project.id}' runs {project.length} periods but its window holds only "
                f"{max(finish - earliest, 0)} (periods {earliest} to {finish - 1})",
            )
        if project.start is not None:
            start = self.cal.resolve(project.start)
            if not earliest <= start <= finish - project.length:
                yield Problem(
                    f"{path}.start",
                    f"fixed start at period {start} is outside the window of '{project.id}' "
                    f"(it must start in periods {earliest} to {finish - project.length})",
                )

    def _cycles(self) -> Iterator[Problem]:
        graph = self.graph()
        colour: dict[str, int] = {}
        stack: list[str] = []

        def visit(node: str) -> list[str] | None:
            colour[node] = 1  # on the current path
            stack.append(node)
            for succ in graph.get(node, []):
                if colour.get(succ) == 1:
                    return [*stack[stack.index(succ) :], succ]
                if succ not in colour and (cycle := visit(succ)):
                    return cycle
            colour[node] = 2  # finished
            stack.pop()
            return None

        for node in graph:
            if node not in colour and (cycle := visit(node)):
                index = self.index_of(cycle[0])
                yield Problem(f"projects[{index}].depends_on", "dependency cycle: " + " -> ".join(cycle))
                return

    def graph(self) -> dict[str, list[str]]:
        """Predecessor lists of the projects that parsed (known ids only)."""
        return {
            p.id: [d.project for d in p.depends_on if d.project in self.project_ids and d.project != p.id]
            for p in self.parts.projects
            if p is not None
        }

    def index_of(self, project_id: str) -> int:
        return next(i for i, p in enumerate(self.parts.projects) if p is not None and p.id == project_id)


def _demand_hours(project: Project, fte_hours: float) -> Iterator[tuple[Demand, float]]:
    """Each demand line of the project with its hours over the whole phase."""
    for phase in project.phases:
        for demand in phase.demand:
            yield demand, demand.hours_per_period(fte_hours) * phase.periods


def _dearest_rates(staff: list[Staff]) -> dict[tuple[str, int], float]:
    """Per skill and minimum level, the dearest hourly rate of anyone qualified (as the
    solvers reserve labour for budgets)."""
    rates: dict[tuple[str, int], float] = {}
    for person in staff:
        for skill, level in person.skills.items():
            for at_least in range(1, level + 1):
                rates[(skill, at_least)] = max(rates.get((skill, at_least), 0.0), person.cost_per_hour)
    return rates


class _Reachability:
    """Which projects can ever be planned: windows through dependency chains, and skills held."""

    def __init__(self, checker: _Checker):
        self.c = checker
        self.projects = {p.id: (i, p) for i, p in enumerate(checker.parts.projects) if p is not None}
        self.levels: dict[str, int] = {}
        for i, person in enumerate(checker.parts.staff):
            # A broken person (fte out of range, say) still counts for the skills they hold, so
            # their projects are not also reported as out of reach.
            held = person.skills if person else checker.parts.raw_skills(i)
            for skill, level in held.items():
                self.levels[skill] = max(self.levels.get(skill, 0), level)

    def run(self) -> Iterator[Problem]:
        earliest_finish: dict[str, int | None] = {}
        for pid in self._topological():
            i, project = self.projects[pid]
            reason = self._blocked(project, earliest_finish)
            earliest_finish[pid] = None if reason else self._earliest_finish(project, earliest_finish)
            if reason:
                yield self._report(i, project, reason)

    def _topological(self) -> list[str]:
        graph, order, done = self.c.graph(), [], set()

        def visit(pid: str) -> None:
            if pid in done or pid not in self.projects:
                return
            done.add(pid)
            for pred in graph.get(pid, []):
                visit(pred)
            order.append(pid)

        for pid in self.projects:
            visit(pid)
        return order

    def _earliest_finish(self, project: Project, finish: dict[str, int | None]) -> int:
        return self._earliest_start(project, finish) + project.length

    def _earliest_start(self, project: Project, finish: dict[str, int | None]) -> int:
        if project.start is not None:
            return self.c.cal.resolve(project.start)
        return max(self.c.window(project)[0], self._after_predecessors(project, finish))

    @staticmethod
    def _after_predecessors(project: Project, finish: dict[str, int | None]) -> int:
        ready = [(finish.get(d.project), d.lag) for d in project.depends_on]
        return max((end + lag for end, lag in ready if end is not None), default=0)

    def _blocked(self, project: Project, finish: dict[str, int | None]) -> str | None:
        for dep in project.depends_on:
            if dep.project in self.projects and dep.project != project.id and finish.get(dep.project) is None:
                return f"it depends on '{dep.project}', which can never be planned"
        start = self._earliest_start(project, finish)
        ready = self._after_predecessors(project, finish)
        if project.start is not None and ready > start:
            return (
                f"its predecessors finish (plus lag) at period {ready} at the earliest, after its fixed start"
            )
        _, latest_finish = self.c.window(project)
        if start + project.length > latest_finish and project.depends_on:
            return (
                f"its predecessors finish at period {start} at the earliest, too late to run "
                f"{project.length} periods by period {latest_finish - 1}"
            )
        for phase in project.phases:
            for demand in phase.demand:
                if demand.skill in self.c.skill_ids and self.levels.get(demand.skill, 0) < demand.min_level:
                    return f"nobody has skill '{demand.skill}' at level {demand.min_level} or above"
        return None

    def _report(self, i: int, project: Project, reason: str) -> Problem:
        must = project.mandatory or project.start is not None
        kind = "mandatory" if project.mandatory else "fixed-start"
        if must:
            return Problem(f"projects[{i}]", f"{kind} project '{project.id}' cannot be planned: {reason}")
        return Problem(f"projects[{i}]", f"'{project.id}' can never be selected: {reason}", "warning")
