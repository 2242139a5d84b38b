"""Plans side by side: what a portfolio board asks of two or more plans.

The first plan is the *baseline*. Every project of any plan is classified in each other plan
against it: ``in`` (selected there, not in the baseline), ``out`` (in the baseline, not
there), ``moved`` (in both, different start; with the shift in periods) or ``same``.

Utilisation of a skill is the hours assigned to it over the capacity of the people who hold
it (as :func:`engine.demand.skill_capacity` counts it: a multi-skilled person under each of
their skills). Capacity needs the plan's scenario; without one, only the hours are given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel

from engine.calendar import PeriodCalendar
from engine.demand import skill_capacity
from engine.errors import Problem, ScenarioError
from engine.plan import Plan, ProjectResult, Status
from engine.problem import UNITS_PER_HOUR, build
from engine.scenario import Scenario

Change = Literal["in", "out", "moved", "same"]


class ProjectInPlan(BaseModel):
    """One project in one plan, and how it differs from the baseline."""

    listed: bool  # the plan's portfolio has this project at all
    selected: bool
    start_period: int | None = None
    finish_period: int | None = None  # exclusive
    start: dt.date | None = None
    finish: dt.date | None = None
    change: Change | None = None  # None in the baseline itself
    shift_periods: int | None = None  # start_period less the baseline's, when selected in both


class ProjectComparison(BaseModel):
    """One project across the plans, in the order the plans were given."""

    id: str
    name: str | None = None
    plans: list[ProjectInPlan]


class SkillUse(BaseModel):
    """Hours assigned to one skill in one plan, against the capacity of its holders."""

    skill: str
    assigned_hours: float
    capacity_hours: float | None = None  # None without the plan's scenario
    utilisation: float | None = None  # None without the scenario or with no capacity
    assigned_hours_by_period: list[float]
    utilisation_by_period: list[float | None] | None = None


class PlanSummary(BaseModel):
    """One plan's headline figures and its differences from the baseline."""

    name: str
    scenario: str
    solver: str
    status: Status
    objective: float | None = None
    gap: float | None = None
    value: float
    cost: float
    labour_cost: float
    selected: int
    assigned_hours: float
    capacity_known: bool
    projects_in: list[str]
    projects_out: list[str]
    projects_moved: list[str]
    skills: list[SkillUse]


class Comparison(BaseModel):
    """Two or more plans side by side; the first is the baseline."""

    baseline: str
    periods: int  # length of every by-period list
    plans: list[PlanSummary]
    projects: list[ProjectComparison]
    notes: list[str]

    def summary(self) -> str:
        """A few lines a board member can read: what each plan changes against the baseline."""
        lines = [f"Compared with the baseline '{self.baseline}':"]
        moved_by = {p.id: [e.shift_periods for e in p.plans] for p in self.projects}
        for k, plan in enumerate(self.plans[1:], start=1):
            moved = [f"{i} {moved_by[i][k]:+d}" for i in plan.projects_moved]
            lines.append(
                f"  {plan.name}: {_listing('in', plan.projects_in)}; {_listing('out', plan.projects_out)}; "
                f"{_listing('moved', moved)}"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def _listing(label: str, ids: list[str]) -> str:
    return f"{len(ids)} {label}" + (f" ({', '.join(ids)})" if ids else "")


def compare_plans(
    plans: Sequence[Plan],
    scenarios: Sequence[Scenario] | None = None,
    names: Sequence[str] | None = None,
) -> Comparison:
    """Compare plans against the first one.

    Parameters
    ----------
    plans
        Two or more plans, typically of variants of one portfolio or from different solvers.
        Their project lists may differ (a variant may add projects); they must share at least
        one project with the baseline and agree on the calendar (period ``t`` starts on the
        same day in each).
    scenarios
        Optional: one scenario for every plan, or one per plan in the same order. Needed for
        capacity and utilisation; each must be the scenario its plan was made for.
    names
        Optional labels, one per plan; by default the scenario name and solver.

    Returns
    -------
    Comparison
        JSON-ready with ``model_dump(mode="json")``. Raises
        :class:`~engine.errors.ScenarioError` listing every reason the plans cannot be compared.
    """
    if len(plans) < 2:
        raise ScenarioError([Problem("plans", f"give at least two plans to compare, not {len(plans)}")])
    labels = _labels(plans, names)
    paired = _pair_scenarios(plans, scenarios)
    problems = _scenario_problems(plans, paired, labels) + _portfolio_problems(plans, paired, labels)
    if problems:
        raise ScenarioError(problems)
    projects = _compare_projects(plans)
    skills = _skill_order(plans, paired)
    periods = _periods(plans, paired)
    summaries = [
        _summarise(labels[k], plan, k, projects, _skill_use(plan, scenario, skills, periods), scenario)
        for k, (plan, scenario) in enumerate(zip(plans, paired, strict=True))
    ]
    return Comparison(
        baseline=labels[0],
        periods=periods,
        plans=summaries,
        projects=projects,
        notes=_notes(plans, paired, labels, projects),
    )


def _labels(plans: Sequence[Plan], names: Sequence[str] | None) -> list[str]:
    """The given names, checked; else each plan's scenario and solver, numbered if repeated."""
    if names is not None:
        problems = []
        if len(names) != len(plans):
            problems.append(
                Problem("names", f"give one name per plan: {len(names)} names for {len(plans)} plans")
            )
        problems += [
            Problem(f"names[{k}]", f"'{name}' names two plans; each plan needs its own name")
            for k, name in enumerate(names)
            if name in names[:k]
        ]
        if problems:
            raise ScenarioError(problems)
        return list(names)
    labels = [f"{p.scenario} ({p.solver})" if p.solver else p.scenario for p in plans]
    return [f"{label} #{k + 1}" if labels.count(label) > 1 else label for k, label in enumerate(labels)]


def _pair_scenarios(plans: Sequence[Plan], scenarios: Sequence[Scenario] | None) -> list[Scenario | None]:
    if not scenarios:
        return [None] * len(plans)
    if len(scenarios) == 1:
        return [scenarios[0]] * len(plans)
    if len(scenarios) != len(plans):
        message = (
            f"give one scenario for all plans or one per plan: {len(scenarios)} scenarios "
            f"for {len(plans)} plans"
        )
        raise ScenarioError([Problem("scenarios", message)])
    return list(scenarios)


def _scenario_problems(
    plans: Sequence[Plan], paired: Sequence[Scenario | None], labels: list[str]
) -> list[Problem]:
    """Each plan was made for the scenario paired with it: same name, projects all in it."""
    problems = []
    for k, (plan, scenario) in enumerate(zip(plans, paired, strict=True)):
        if scenario is None:
            continue
        if plan.scenario != scenario.name:
            message = f"plan '{labels[k]}' was made for scenario '{plan.scenario}', not '{scenario.name}'"
            problems.append(Problem(f"plans[{k}].scenario", message))
            continue
        known = {p.id for p in scenario.projects}
        problems += [
            Problem(f"plans[{k}].projects[{j}]", f"project '{p.id}' is not in scenario '{scenario.name}'")
            for j, p in enumerate(plan.projects)
            if p.id not in known
        ]
    return problems


def _portfolio_problems(
    plans: Sequence[Plan], paired: Sequence[Scenario | None], labels: list[str]
) -> list[Problem]:
    """Plans of one portfolio: a project in common with the baseline, one calendar, no negative periods."""
    problems = []
    baseline_ids = {p.id for p in plans[0].projects}
    baseline_days = _period_starts(plans[0], paired[0])
    for k, plan in enumerate(plans):
        problems += [
            Problem(f"plans[{k}].assignments[{r}].period", f"must be 0 or more, not {row.period}")
            for r, row in enumerate(plan.assignments)
            if row.period < 0
        ]
        if k == 0:
            continue
        ids = {p.id for p in plan.projects}
        if ids and baseline_ids and not ids & baseline_ids:
            message = (
                f"plan '{labels[k]}' has no project in common with the baseline '{labels[0]}': "
                "these are different portfolios, not variants of one"
            )
            problems.append(Problem(f"plans[{k}].projects", message))
        days = _period_starts(plan, paired[k])
        clash = next(
            (t for t in sorted(days.keys() & baseline_days.keys()) if days[t] != baseline_days[t]), None
        )
        if clash is not None:
            message = (
                f"plan '{labels[k]}' and the baseline '{labels[0]}' use different calendars (period {clash} "
                f"starts on {days[clash]} in one and {baseline_days[clash]} in the other), so their "
                "periods cannot be compared"
            )
            problems.append(Problem(f"plans[{k}]", message))
    return problems


def _period_starts(plan: Plan, scenario: Scenario | None) -> dict[int, dt.date]:
    """The first day of each period, as far as the plan's start dates (and scenario) tell."""
    days = {p.start_period: p.start for p in plan.projects if p.start_period is not None and p.start}
    if scenario is not None:
        calendar = PeriodCalendar(scenario.calendar)
        days.update({t: calendar.first_day(t) for t in range(calendar.num_periods)})
    return days


def _compare_projects(plans: Sequence[Plan]) -> list[ProjectComparison]:
    """Every project of any plan, baseline order first, with its place in each plan."""
    by_id = [{p.id: p for p in reversed(plan.projects)} for plan in plans]  # first listing wins
    ids = list(dict.fromkeys(p.id for plan in plans for p in plan.projects))
    return [
        ProjectComparison(
            id=pid,
            name=next((found[pid].name for found in by_id if pid in found and found[pid].name), None),
            plans=[_in_plan(found.get(pid), by_id[0].get(pid), k == 0) for k, found in enumerate(by_id)],
        )
        for pid in ids
    ]


def _in_plan(
    result: ProjectResult | None, baseline: ProjectResult | None, is_baseline: bool
) -> ProjectInPlan:
    entry = ProjectInPlan(listed=result is not None, selected=bool(result and result.selected))
    if result is not None and result.selected:
        entry.start_period, entry.finish_period = result.start_period, result.finish_period
        entry.start, entry.finish = result.start, result.finish
    if not is_baseline:
        entry.change, entry.shift_periods = _change(baseline, result)
    return entry


def _change(before: ProjectResult | None, after: ProjectResult | None) -> tuple[Change, int | None]:
    """How a project's place differs from the baseline's, and by how many periods it moved."""
    was, now = bool(before and before.selected), bool(after and after.selected)
    if now != was:
        return ("in" if now else "out"), None
    if not now or before is None or after is None:
        return "same", None
    if before.start_period is None or after.start_period is None:
        return "same", None
    shift = after.start_period - before.start_period
    return ("moved" if shift else "same"), shift


def _skill_order(plans: Sequence[Plan], paired: Sequence[Scenario | None]) -> list[str]:
    """The scenarios' skills in their order, then any other skill the plans assign."""
    from_scenarios = [s.id for scenario in paired if scenario is not None for s in scenario.skills]
    from_plans = [row.skill for plan in plans for row in plan.assignments]
    return list(dict.fromkeys(from_scenarios + from_plans))


def _periods(plans: Sequence[Plan], paired: Sequence[Scenario | None]) -> int:
    """Periods long enough for every horizon and every assignment row."""
    horizons = [s.calendar.periods for s in paired if s is not None]
    rows = [row.period + 1 for plan in plans for row in plan.assignments]
    return max([*horizons, *rows, 0])


def _skill_use(plan: Plan, scenario: Scenario | None, skills: list[str], periods: int) -> list[SkillUse]:
    assigned = _assigned_hours(plan, skills, periods)
    capacity = None if scenario is None else _capacity_hours(scenario, skills, periods)
    return [
        SkillUse(
            skill=skill,
            assigned_hours=round(float(assigned[k].sum()), 3),
            capacity_hours=None if capacity is None else round(float(capacity[k].sum()), 3),
            utilisation=None if capacity is None else _share(assigned[k].sum(), capacity[k].sum()),
            assigned_hours_by_period=[round(float(h), 3) for h in assigned[k]],
            utilisation_by_period=None
            if capacity is None
            else [_share(h, c) for h, c in zip(assigned[k], capacity[k], strict=True)],
        )
        for k, skill in enumerate(skills)
    ]


def _assigned_hours(plan: Plan, skills: list[str], periods: int) -> np.ndarray:
    """(skill, period) hours summed over the plan's assignment rows."""
    index = {skill: k for k, skill in enumerate(skills)}
    hours = np.zeros((len(skills), periods))
    for row in plan.assignments:
        hours[index[row.skill], row.period] += row.hours
    return hours


def _capacity_hours(scenario: Scenario, skills: list[str], periods: int) -> np.ndarray:
    """(skill, period) capacity hours of each skill's holders; 0 for skills the scenario lacks."""
    data = build(scenario)
    by_skill = skill_capacity(data) / UNITS_PER_HOUR
    hours = np.zeros((len(skills), periods))
    for k, skill in enumerate(data.skill_ids):
        hours[skills.index(skill), : data.num_periods] = by_skill[k]
    return hours


def _share(used: float, capacity: float) -> float | None:
    return round(float(used / capacity), 4) if capacity > 0 else None


def _summarise(
    name: str,
    plan: Plan,
    k: int,
    projects: list[ProjectComparison],
    skills: list[SkillUse],
    scenario: Scenario | None,
) -> PlanSummary:
    changed = {
        change: [p.id for p in projects if p.plans[k].change == change] for change in ("in", "out", "moved")
    }
    return PlanSummary(
        name=name,
        scenario=plan.scenario,
        solver=plan.solver,
        status=plan.status,
        objective=plan.objective,
        gap=plan.gap,
        value=plan.metrics.value,
        cost=plan.metrics.cost,
        labour_cost=plan.metrics.labour_cost,
        selected=len(plan.selected()),
        assigned_hours=round(sum(s.assigned_hours for s in skills), 3),
        capacity_known=scenario is not None,
        projects_in=changed["in"],
        projects_out=changed["out"],
        projects_moved=changed["moved"],
        skills=skills,
    )


def _notes(
    plans: Sequence[Plan],
    paired: Sequence[Scenario | None],
    labels: list[str],
    projects: list[ProjectComparison],
) -> list[str]:
    """What a reader should know: missing scenarios, projects not in every plan, failed plans."""
    notes = []
    blind = [f"'{labels[k]}'" for k, scenario in enumerate(paired) if scenario is None]
    if blind:
        notes.append(
            f"no scenario given for {', '.join(blind)}: capacity and utilisation are unknown there, "
            "only assigned hours are shown"
        )
    for project in projects:
        missing = [f"'{labels[k]}'" for k, entry in enumerate(project.plans) if not entry.listed]
        if missing:
            notes.append(f"project '{project.id}' is not in the portfolio of {', '.join(missing)}")
    notes += [
        f"plan '{labels[k]}' is {plan.status}: it selects no project (see its conflicts)"
        for k, plan in enumerate(plans)
        if plan.status in ("infeasible", "unknown")
    ]
    return notes
