"""The plan checker: every rule of FORMAT.md, verified from the scenario and plan alone.

It shares no bookkeeping with any solver: capacity and demand are recomputed here in
hours (floats, with a small tolerance), and the level rules are checked exactly with
nested thresholds (people at level >= L must cover all work needing L or more).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import numpy as np

from engine.calendar import PeriodCalendar
from engine.errors import Problem
from engine.plan import Plan, ProjectResult
from engine.problem import _person_hours, priority_of
from engine.scenario import Project, Scenario

HOURS_TOL = 0.005  # plans carry hours to 1/1000; allow rounding in third-party plans


def check_plan(scenario: Scenario, plan: Plan) -> list[Problem]:
    """Every violation of the scenario's rules in ``plan`` (empty when the plan is valid)."""
    return list(_Check(scenario, plan).run())


class _Check:
    def __init__(self, scenario: Scenario, plan: Plan):
        self.s, self.plan = scenario, plan
        self.cal = PeriodCalendar(scenario.calendar)
        self.projects = {p.id: p for p in scenario.projects}
        self.staff = {p.id: p for p in scenario.staff}
        self.results: dict[str, ProjectResult] = {}

    def run(self) -> Iterator[Problem]:
        yield from self._listing()
        if self.plan.status in ("infeasible", "unknown"):
            if self.plan.status == "infeasible" and not self.plan.conflicts:
                yield Problem("conflicts", "an infeasible plan must name its conflicts")
            return
        for i, result in enumerate(self.plan.projects):
            if result.id in self.projects:
                yield from self._project(f"projects[{i}]", self.projects[result.id], result)
        yield from self._assignments()
        yield from self._budget()
        yield from self._objective()

    def _listing(self) -> Iterator[Problem]:
        for i, result in enumerate(self.plan.projects):
            if result.id not in self.projects:
                yield Problem(f"projects[{i}]", f"unknown project '{result.id}'")
            elif result.id in self.results:
                yield Problem(f"projects[{i}]", f"project '{result.id}' is listed twice")
            self.results.setdefault(result.id, result)
        for project in self.s.projects:
            if project.id not in self.results:
                yield Problem("projects", f"project '{project.id}' is missing from the plan")

    def _project(self, path: str, project: Project, r: ProjectResult) -> Iterator[Problem]:
        must = project.mandatory or project.start is not None or self.s.policy.objective == "makespan"
        if not r.selected:
            if must:
                yield Problem(path, f"'{project.id}' must be in the plan but is not")
            if r.explanation is None:
                yield Problem(f"{path}.explanation", f"excluded project '{project.id}' has no explanation")
            return
        if r.start_period is None or r.finish_period is None:
            yield Problem(path, f"selected project '{project.id}' has no start_period or finish_period")
            return
        yield from self._timing(path, project, r.start_period, r.finish_period)
        if r.start is not None and r.start != self.cal.first_day(r.start_period):
            yield Problem(f"{path}.start", f"{r.start} is not the first day of period {r.start_period}")
        if (
            r.finish is not None
            and 0 < r.finish_period <= self.cal.num_periods
            and r.finish != self.cal.last_day(r.finish_period - 1)
        ):
            yield Problem(f"{path}.finish", f"{r.finish} is not the last day of period {r.finish_period - 1}")
        for dep in project.depends_on:
            pred = self.results.get(dep.project)
            if pred is None or not pred.selected:
                yield Problem(path, f"'{project.id}' is selected but its predecessor '{dep.project}' is not")
            elif pred.finish_period is not None and r.start_period < pred.finish_period + dep.lag:
                yield Problem(
                    path,
                    f"'{project.id}' starts in period {r.start_period}, before '{dep.project}' finishes "
                    f"(period {pred.finish_period}) plus lag {dep.lag}",
                )

    def _timing(self, path: str, project: Project, start: int, finish: int) -> Iterator[Problem]:
        pid = project.id
        if finish != start + project.length:
            yield Problem(path, f"'{pid}' runs {project.length} periods but is planned {start} to {finish}")
        earliest = 0 if project.earliest_start is None else self.cal.resolve(project.earliest_start)
        if start < max(earliest, 0):
            yield Problem(
                path,
                f"'{pid}' starts in period {start}, before its earliest start (period {earliest})",
            )
        if finish > self.cal.num_periods:
            yield Problem(
                path,
                f"'{pid}' runs past the horizon (finishes in period {finish} of {self.cal.num_periods})",
            )
        if project.latest_finish is not None and finish > self.cal.resolve(project.latest_finish) + 1:
            yield Problem(
                path,
                f"'{pid}' finishes after its deadline (period {self.cal.resolve(project.latest_finish)})",
            )
        if project.start is not None and start != self.cal.resolve(project.start):
            yield Problem(
                path,
                f"'{pid}' has a fixed start at period {self.cal.resolve(project.start)} "
                f"but starts in {start}",
            )

    def active_phase(self, pid: str, t: int):
        r, project = self.results.get(pid), self.projects[pid]
        if (
            r is None
            or not r.selected
            or r.start_period is None
            or not r.start_period <= t < r.start_period + project.length
        ):
            return None
        offset = t - r.start_period
        for phase in project.phases:
            if offset < phase.periods:
                return phase
            offset -= phase.periods
        return None

    def _assignments(self) -> Iterator[Problem]:
        booked: dict[tuple[str, int], float] = defaultdict(float)
        given: dict[tuple[str, int, str], list[tuple[int, float]]] = defaultdict(list)
        for i, a in enumerate(self.plan.assignments):
            path = f"assignments[{i}]"
            person = self.staff.get(a.staff)
            if person is None or a.project not in self.projects:
                yield Problem(
                    path, f"unknown {'staff member' if person is None else 'project'} in assignment"
                )
                continue
            phase = self.active_phase(a.project, a.period)
            if a.hours <= 0:
                yield Problem(path, "hours must be positive")
            if phase is None:
                yield Problem(path, f"'{a.project}' is not selected and active in period {a.period}")
            elif not any(d.skill == a.skill for d in phase.demand):
                yield Problem(path, f"'{a.project}' does not need '{a.skill}' in period {a.period}")
            if a.skill not in person.skills:
                yield Problem(path, f"'{a.staff}' does not have skill '{a.skill}'")
            booked[(a.staff, a.period)] += a.hours
            given[(a.project, a.period, a.skill)].append((person.skills.get(a.skill, 0), a.hours))
        yield from self._capacity(booked)
        yield from self._demand(given)

    def _capacity(self, booked: dict[tuple[str, int], float]) -> Iterator[Problem]:
        working = self.cal.working_days.astype(float)
        util, fte_hours = self.s.policy.max_utilisation, self.s.calendar.fte_hours
        person_hours: dict[str, np.ndarray] = {}  # each person's hours per period, computed once
        for (sid, t), hours in sorted(booked.items()):
            if not 0 <= t < self.cal.num_periods:
                yield Problem("assignments", f"'{sid}' is booked in period {t}, outside the horizon")
                continue
            if sid not in person_hours:
                person_hours[sid] = _person_hours(self.staff[sid], self.cal, working)
            cap = float(person_hours[sid][t]) * fte_hours * util
            if hours > cap + HOURS_TOL + 1e-9 * cap:
                yield Problem(
                    "assignments",
                    f"'{sid}' is over capacity in period {t}: {hours:.3f} h booked, {cap:.3f} h available",
                )

    def _demand(self, given: dict[tuple[str, int, str], list[tuple[int, float]]]) -> Iterator[Problem]:
        fte_hours = self.s.calendar.fte_hours
        for r in self.results.values():
            if not r.selected or r.start_period is None:
                continue
            for t in range(r.start_period, r.start_period + self.projects[r.id].length):
                phase = self.active_phase(r.id, t)
                needs: dict[str, list[tuple[int, float]]] = defaultdict(list)
                for d in phase.demand if phase else []:
                    needs[d.skill].append((d.min_level, d.hours_per_period(fte_hours)))
                for skill, items in needs.items():
                    rows = given.get((r.id, t, skill), [])
                    for level in sorted({lv for lv, _ in items}):
                        need = sum(h for lv, h in items if lv >= level)
                        have = sum(h for lv, h in rows if lv >= level)
                        if have < need - HOURS_TOL - 1e-9 * need:
                            words = skill if level <= 1 else f"{skill} at level {level}+"
                            yield Problem(
                                "assignments",
                                f"'{r.id}' gets {have:.3f} h of {words} in period {t}, needs {need:.3f} h",
                            )

    def _budget(self) -> Iterator[Problem]:
        budget = self.s.policy.budget
        if budget is None:
            return
        spent = [0.0] * self.cal.num_periods
        for r in self.results.values():
            if r.selected and r.start_period is not None:
                length = self.projects[r.id].length
                for t in range(max(r.start_period, 0), min(r.start_period + length, self.cal.num_periods)):
                    spent[t] += self.projects[r.id].cost / length
        if budget.include_labour:
            for a in self.plan.assignments:
                if a.staff in self.staff and 0 <= a.period < self.cal.num_periods:
                    spent[a.period] += a.hours * self.staff[a.staff].cost_per_hour
        yield from _budget_caps(budget, spent, self.cal)

    def _objective(self) -> Iterator[Problem]:
        expected = recompute_objective(self.s, self.plan)
        if self.plan.objective is None or abs(self.plan.objective - expected) > 1e-6 + 1e-9 * abs(expected):
            yield Problem(
                "objective",
                f"is {self.plan.objective}, but the selected projects give {expected:.6f}",
            )
        if self.plan.metrics.selected != sum(r.selected for r in self.results.values()):
            yield Problem("metrics.selected", "does not match the number of selected projects")


def _budget_caps(budget, spent: list[float], cal: PeriodCalendar) -> Iterator[Problem]:
    def over(total: float, cap: float) -> bool:
        return total > cap + 1e-9 * max(1.0, cap) + 1e-6

    if budget.total is not None and over(sum(spent), budget.total):
        yield Problem(
            "policy.budget.total",
            f"plan spends {sum(spent):,.2f}, over the budget of {budget.total:,.2f}",
        )
    for t, cap in enumerate(budget.by_period or []):
        if t < len(spent) and over(spent[t], cap):
            yield Problem(
                f"policy.budget.by_period[{t}]",
                f"plan spends {spent[t]:,.2f} in period {t}, over {cap:,.2f}",
            )
    for year, cap in (budget.by_year or {}).items():
        total = sum(x for t, x in enumerate(spent) if str(cal.financial_year(t)) == year)
        if over(total, cap):
            yield Problem(
                f"policy.budget.by_year.{year}",
                f"plan spends {total:,.2f} in financial year {year}, over {cap:,.2f}",
            )


def recompute_objective(scenario: Scenario, plan: Plan) -> float:
    """The objective FORMAT.md defines, from the plan's selected projects."""
    cal = PeriodCalendar(scenario.calendar)
    chosen = [
        (scenario.project(r.id), r)
        for r in plan.projects
        if r.selected and r.id in {p.id for p in scenario.projects}
    ]
    objective = scenario.policy.objective
    if objective == "makespan":
        return float(max((r.finish_period or 0 for _, r in chosen), default=0))
    if objective == "priority":
        return sum(priority_of(p, scenario) for p, _ in chosen)
    total = 0.0
    for p, r in chosen:
        earliest = 0 if p.earliest_start is None else max(cal.resolve(p.earliest_start), 0)
        total += p.value - p.cost_of_delay * ((r.start_period or 0) - earliest)
    return total
