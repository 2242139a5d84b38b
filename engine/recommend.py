"""Where one more FTE adds the most value: a short ranked list a board could act on.

Candidates are one extra person per skill (qualified for all of that skill's work), joining at
a few start periods spread over the horizon. The greedy planner ranks every candidate; the best
few skills are solved again with CP-SAT, and the value reported is from those solves. Two facts
keep the figures honest under short time limits: every value is a plan that was found, and the
plan stays feasible with more staff, so no candidate is worth less than the plan; and a person
who joins earlier can do everything one who joins later can, so an earlier start is worth at
least what a later one is. For each skill the
list gives the latest start that reaches the skill's best value: when the person is needed by.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.extra import hourly_costs
from engine.plan import Plan
from engine.problem import ProblemData, build
from engine.scenario import Scenario
from engine.validation import parse_scenario
from engine.whatif import plan_starts, scenario_document
from engine.words import names
from solvers.cpsat import solve_cpsat
from solvers.greedy import schedule_objective, solve_greedy

STARTS = 4  # candidate start periods, spread evenly over the horizon


@dataclass
class Recommendation:
    """One more person with one skill, from a period, and what that is worth."""

    skill: str
    min_level: int
    from_period: int
    fte: float
    value_gain: float = 0.0
    lets_in: list[str] = field(default_factory=list)
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Tried:
    candidate: Recommendation
    data: ProblemData
    value: float = 0.0
    selected: set[str] = field(default_factory=set)


def recommend(
    scenario: Scenario,
    plan: Plan,
    *,
    fte: float = 1.0,
    top: int = 5,
    time_limit: float = 30.0,
    deterministic: bool = False,
) -> list[Recommendation]:
    """Up to ``top`` skills where ``fte`` more staff adds the most value, best first.

    ``time_limit`` is shared by the CP-SAT solves (one per skill in the top); with
    ``deterministic`` the same inputs give the same list, whatever the machine's load.
    """
    base = build(scenario)
    if base.objective == "makespan" or plan.objective is None:
        return []
    plan_value = float(plan.objective)
    chosen = {p.id for p in plan.selected()}
    by_skill: dict[str, list[_Tried]] = {}
    for tried in _candidates(scenario, base, fte):
        tried.value, tried.selected = plan_value, set(chosen)
        _keep(tried, solve_greedy(tried.data).starts)
        by_skill.setdefault(tried.candidate.skill, []).append(tried)
    ranked = sorted(by_skill, key=lambda k: -max(t.value for t in by_skill[k]))
    found = []
    for skill in ranked[:top]:
        promising = max(by_skill[skill], key=lambda t: (t.value, t.candidate.from_period))
        limit = time_limit / max(1, min(top, len(ranked)))
        schedule = solve_cpsat(promising.data, time_limit=limit, deterministic=deterministic)
        if schedule.status in ("optimal", "feasible"):
            _keep(promising, schedule.starts)
        best = _best_start(by_skill[skill], plan_value)
        if best is not None:
            best.candidate.value_gain = round(best.value - plan_value, 2)
            best.candidate.lets_in = sorted(best.selected - chosen)
            best.candidate.text = _words(best.candidate, base)
            found.append(best.candidate)
    return sorted(found, key=lambda r: (-r.value_gain, r.skill))


def _candidates(scenario: Scenario, base: ProblemData, fte: float) -> list[_Tried]:
    costs = hourly_costs(base)
    horizon = base.num_periods
    starts = sorted({round(i * horizon / STARTS) for i in range(STARTS)})
    document = scenario_document(scenario)
    found = []
    for k, skill in enumerate(base.skill_ids):
        level = max((c.min_level for c in base.classes if c.skill == k), default=1)
        for t in starts:
            candidate = Recommendation(skill, level, t, fte)
            person = _person(candidate, horizon, float(costs[k]))
            with_person = parse_scenario({**document, "staff": [*document["staff"], person]})
            found.append(_Tried(candidate, build(with_person)))
    return found


def _person(r: Recommendation, horizon: int, cost_per_hour: float) -> dict[str, Any]:
    return {
        "id": f"recommended-{r.skill}-from-{r.from_period}",
        "name": f"Recommended: {r.fte:g} FTE {r.skill} from period {r.from_period}",
        "fte": r.fte,
        "fte_by_period": [0.0 if t < r.from_period else r.fte for t in range(horizon)],
        "skills": {r.skill: r.min_level},
        "cost_per_hour": cost_per_hour,
    }


def _keep(tried: _Tried, starts: dict[int, int]) -> None:
    """Keep a solve's plan if it is worth more than the best one known for this candidate."""
    value = schedule_objective(tried.data, starts)
    if value > tried.value:
        tried.value = value
        tried.selected = {tried.data.project_ids[j] for j in starts}


def _best_start(tried: list[_Tried], plan_value: float) -> _Tried | None:
    """The latest start reaching the skill's best value (an earlier start can do as much)."""
    ordered = sorted(tried, key=lambda t: t.candidate.from_period)
    for i in range(len(ordered) - 2, -1, -1):  # dominance: earlier >= later
        if ordered[i + 1].value > ordered[i].value:
            ordered[i].value, ordered[i].selected = ordered[i + 1].value, ordered[i + 1].selected
    best = max(t.value for t in ordered)
    if best <= plan_value:
        return None
    return max((t for t in ordered if t.value >= best), key=lambda t: t.candidate.from_period)


def _words(r: Recommendation, data: ProblemData) -> str:
    skill = next(s for s in data.scenario.skills if s.id == r.skill)
    level = f" (level {r.min_level})" if r.min_level > 1 else ""
    day = data.calendar.first_day(r.from_period)
    lets = f"lets in {names(r.lets_in)}" if r.lets_in else "better starts for the same projects"
    name = (skill.name or skill.id).lower()
    return f"{r.fte:g} FTE of {name}{level} from {day:%d %b %Y}: +{r.value_gain:,.0f} ({lets})"


__all__ = ["Recommendation", "plan_starts", "recommend"]
