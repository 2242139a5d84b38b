"""What would let a project in: found by solving, never estimated.

For a project left out of a plan, three answers a board asks for:

- the earliest start at which it fits as the plan stands (capacity and budget, exact);
- the least extra capacity, per skill and period and weighted by what an hour of that skill
  costs, that lets it in at its earliest start without moving anything selected: a min-cost
  flow per period, where the only costly arcs are hours of extra staff;
- what it would displace if forced in with today's capacity: the portfolio solved again with
  the project mandatory, compared with the plan.

:func:`apply_extra` writes the first answer back as a scenario (extra staff records, named as
such, and the project mandatory), so anyone can solve it and see.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Problem, ScenarioError
from engine.extra import ExtraStaff, extra_cost, least_extra_capacity
from engine.plan import Plan
from engine.problem import ProblemData, build
from engine.scenario import Scenario
from engine.words import names
from solvers.portfolio import Portfolio


@dataclass
class Displacement:
    """The portfolio solved again with the project forced in."""

    status: str
    dropped: list[str] = field(default_factory=list)
    moved: dict[str, tuple[int, int]] = field(default_factory=dict)
    objective_change: float | None = None


@dataclass
class LetIn:
    """Everything that would let one project in."""

    project: str
    earliest_start: int | None
    fits_from: int | None
    extra: list[ExtraStaff]
    extra_cost: float
    budget_short: float
    displaces: Displacement | None = None
    blocked_by: list[str] = field(default_factory=list)
    best_start: int | None = None  # where the least extra capacity is cheapest, when not the earliest
    best_extra: list[ExtraStaff] = field(default_factory=list)

    def as_dict(self, data: ProblemData) -> dict[str, Any]:
        return {
            "project": self.project,
            "earliest_start": self.earliest_start,
            "fits_from": self.fits_from,
            "extra_capacity": [extra_json(data, e) for e in self.extra],
            "extra_cost": round(self.extra_cost, 2),
            "best_start": self.best_start,
            "best_extra_capacity": [extra_json(data, e) for e in self.best_extra],
            "budget_short": round(self.budget_short, 2),
            "blocked_by": self.blocked_by,
            "displaces": None if self.displaces is None else self.displaces.__dict__,
        }


def extra_json(data: ProblemData, e: ExtraStaff) -> dict[str, Any]:
    return {
        "skill": e.skill,
        "min_level": e.min_level,
        "periods": sorted(e.hours),
        "hours": {str(t): round(h, 2) for t, h in sorted(e.hours.items())},
        "fte": {str(t): f for t, f in sorted(e.fte(data).items())},
        "cost_per_hour": e.cost_per_hour,
    }


Row = tuple[str, Any, "LetIn", str]


def explain_rows(
    scenario: Scenario, data: ProblemData, plan: Plan, project: str | None, time_limit: float | None
) -> list[Row]:
    """One row per project left out (or the one asked for); with a ``time_limit``, the one asked
    for also says what forcing it in would displace (a solve)."""
    chosen = [project] if project else [p.id for p in plan.projects if not p.selected]
    rows = []
    for pid in chosen:
        answer = let_in(data, plan, pid)
        if project and time_limit is not None:
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


def plan_starts(data: ProblemData, plan: Plan) -> dict[int, int]:
    """The plan's selected projects as solver indices and start periods."""
    index = {p: j for j, p in enumerate(data.project_ids)}
    starts = {}
    for result in plan.projects:
        if result.selected and result.start_period is not None and result.id in index:
            starts[index[result.id]] = result.start_period
    return starts


def let_in(data: ProblemData, plan: Plan, project_id: str) -> LetIn:
    """Earliest fit as the plan stands, and the least extra capacity at the earliest start."""
    j = _index(data, project_id)
    starts = plan_starts(data, plan)
    if j in starts:
        raise ScenarioError([Problem("project", f"'{project_id}' is already in the plan")])
    portfolio = Portfolio.of(data, starts)
    missing = [data.project_ids[p] for p, _ in data.predecessors[j] if p not in starts]
    first = portfolio.earliest_start(j)
    last = int(data.latest[j])
    if missing or first is None or first > last:  # no start at all: nothing capacity could fix
        return LetIn(project_id, None, None, [], 0.0, 0.0, blocked_by=missing)
    fits = next(
        (
            s
            for s in range(first, last + 1)
            if portfolio.capacity_flows(j, s) is not None and not portfolio.budget_short(j, s)
        ),
        None,
    )
    extra = least_extra_capacity(data, starts, j, first, portfolio)
    answer = LetIn(project_id, first, fits, extra, extra_cost(extra), portfolio.budget_short(j, first))
    if extra and fits is None:  # the start closest to fitting may need far less
        best = portfolio.scan(j).fewest_failing(first, last)
        best_extra = least_extra_capacity(data, starts, j, best, portfolio) if best != first else extra
        if extra_cost(best_extra) < answer.extra_cost:
            answer.best_start, answer.best_extra = best, best_extra
    return answer


def _fits(portfolio: Portfolio, j: int, s: int) -> bool:
    return portfolio.capacity_flows(j, s) is not None and not portfolio.budget_short(j, s)


def displaced_if_forced(scenario: Scenario, plan: Plan, project_id: str, time_limit: float) -> Displacement:
    """Solve again with the project mandatory (today's capacity) and compare with the plan."""
    from engine.planner import solve

    document = with_mandatory(scenario_document(scenario), project_id)
    forced = solve(document, time_limit=time_limit, deterministic=True)
    if forced.status in ("infeasible", "unknown"):
        return Displacement(forced.status)
    before = {p.id: p.start_period for p in plan.projects if p.selected}
    after = {p.id: p.start_period for p in forced.projects if p.selected}
    dropped = sorted(set(before) - set(after))
    moved = {
        p: (int(before[p] or 0), int(after[p] or 0))
        for p in sorted(set(before) & set(after))
        if before[p] != after[p]
    }
    change = None if forced.objective is None or plan.objective is None else forced.objective - plan.objective
    return Displacement(forced.status, dropped, moved, change)


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=True)


def with_mandatory(document: dict[str, Any], project_id: str) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for project in document["projects"]:
        if project["id"] == project_id:
            project["mandatory"] = True
    return document


def apply_extra(scenario: Scenario, data: ProblemData, answer: LetIn) -> dict[str, Any]:
    """The scenario with the extra capacity added as staff records, any budget short added to
    the budget, and the project mandatory."""
    document = with_mandatory(scenario_document(scenario), answer.project)
    if answer.budget_short > 0:
        _raise_budget(document["policy"]["budget"], answer.budget_short)
    if answer.earliest_start is not None:
        for project in document["projects"]:
            if project["id"] == answer.project:
                project["earliest_start"] = answer.earliest_start
    for extra in answer.extra:
        fte = extra.fte(data)
        document["staff"].append(
            {
                "id": f"extra-{extra.skill}-for-{answer.project}",
                "name": f"Extra {_skill_name(scenario, extra.skill)} to let in {answer.project} (what-if)",
                "fte": max(fte.values()),
                "fte_by_period": [fte.get(t, 0.0) for t in range(data.num_periods)],
                "skills": {extra.skill: extra.min_level},
                "cost_per_hour": extra.cost_per_hour,
            }
        )
    return document


def _raise_budget(budget: dict[str, Any], short: float) -> None:
    """Every cap the budget has, raised by the amount the project was short (and a cent)."""
    more = math.ceil(short * 100 + 1) / 100
    if budget.get("total") is not None:
        budget["total"] += more
    if budget.get("by_period") is not None:
        budget["by_period"] = [cap + more for cap in budget["by_period"]]
    if budget.get("by_year") is not None:
        budget["by_year"] = {year: cap + more for year, cap in budget["by_year"].items()}


def describe(data: ProblemData, answer: LetIn) -> str:
    """The answer in a board's words."""
    if answer.blocked_by:
        return f"It can only come in with {names(answer.blocked_by)}, which the plan leaves out."
    if answer.earliest_start is None:
        return "Its window cannot hold it after its predecessors: no extra capacity would help."
    parts = []
    if answer.fits_from is not None:
        parts.append(f"It fits as the plan stands starting {_day(data, answer.fits_from)}.")
    if answer.extra:
        needs = "; ".join(need_words(data, e) for e in answer.extra)
        parts.append(f"From {_day(data, answer.earliest_start)} it needs {needs}.")
    if answer.best_start is not None:
        needs = "; ".join(need_words(data, e) for e in answer.best_extra)
        parts.append(f"Or from {_day(data, answer.best_start)} it needs only {needs}.")
    elif answer.fits_from != answer.earliest_start:
        parts.append(f"From {_day(data, answer.earliest_start)} capacity is enough.")
    if answer.budget_short > 0:
        parts.append(f"It also needs {answer.budget_short:,.0f} more budget.")
    if answer.displaces is not None:
        parts.append(_displacement_words(answer.displaces))
    return " ".join(parts)


def need_words(data: ProblemData, extra: ExtraStaff) -> str:
    """'0.70 FTE more business analysis (level 3+) from 07 Jun to 29 Aug 2027 (310.0 hours)'."""
    fte = extra.fte(data)
    periods = sorted(extra.hours)
    level = f" (level {extra.min_level}+)" if extra.min_level > 1 else ""
    first, last = data.calendar.first_day(periods[0]), data.calendar.last_day(periods[-1])
    return (
        f"{max(fte.values()):.2f} FTE more {_skill_name(data.scenario, extra.skill).lower()}{level} "
        f"from {first:%d %b} to {last:%d %b %Y} ({extra.total_hours:,.1f} hours)"
    )


def _displacement_words(d: Displacement) -> str:
    if d.status in ("infeasible", "unknown"):
        return "Forced in with today's capacity, no plan could be found."
    dropped = f"it would drop {names(d.dropped)}" if d.dropped else "it would drop nothing"
    moved = f" and move {names(list(d.moved))}" if d.moved else ""
    change = f" (objective {d.objective_change:+,.0f})" if d.objective_change is not None else ""
    return f"Forced in with today's capacity, {dropped}{moved}{change}."


def _skill_name(scenario: Scenario, skill_id: str) -> str:
    skill = next((s for s in scenario.skills if s.id == skill_id), None)
    return skill.name if skill is not None and skill.name else skill_id


def _day(data: ProblemData, t: int) -> str:
    return f"{data.calendar.first_day(t):%d %b %Y}"


def _index(data: ProblemData, project_id: str) -> int:
    try:
        return data.project_ids.index(project_id)
    except ValueError:
        raise ScenarioError([Problem("project", f"unknown project '{project_id}'")]) from None


def rebuild(document: dict[str, Any]) -> tuple[Scenario, ProblemData]:
    from engine.validation import parse_scenario

    scenario = parse_scenario(document)
    return scenario, build(scenario)
