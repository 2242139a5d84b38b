"""The greedy baseline: what portfolio tools do today, done well.

Rank the projects, then walk down the list placing each at the earliest start where all
of its demand fits the capacity left (an exact max-flow check per period, so multi-skilled
people are never counted twice) and the budget allows. Mandatory and fixed-start projects
go first; a project's predecessors are placed before it; if a project cannot be placed,
the predecessors placed only for it are taken out again.

Being fair to the baseline matters - every optimiser figure is quoted against it - so it
tries several rankings (by value, by value per hour of demand, by value per unit of cost)
and keeps the best plan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from engine.problem import ProblemData, to_hours
from solvers.portfolio import Portfolio, Schedule

log = logging.getLogger(__name__)


def solve_greedy(data: ProblemData) -> Schedule:
    """The best greedy schedule over the rankings that suit the objective."""
    best: Schedule | None = None
    for name, order in rankings(data).items():
        schedule = greedy_schedule(data, order)
        schedule.notes.append(f"ranking: {name}")
        if best is None or _better(data, schedule, best):
            best = schedule
    assert best is not None
    return best


def rankings(data: ProblemData) -> dict[str, list[int]]:
    """Project orders to try: mandatory first, then by the objective's measure."""
    hours = np.array([max(int(d.sum()), 1) for d in data.demand], dtype=float)
    if data.objective == "makespan":
        slack = data.latest - data.earliest
        return {
            "latest start": _order(data, -data.latest.astype(float)),
            "least slack": _order(data, -slack.astype(float)),
        }
    worth = data.priority if data.objective == "priority" else data.value
    orders = {"value": _order(data, worth), "value per hour": _order(data, worth / hours)}
    if data.objective == "value":
        money = data.cost + 1.0
        orders["value per cost"] = _order(data, worth / money)
    return orders


def _order(data: ProblemData, score: np.ndarray) -> list[int]:
    # Fixed starts first (they are not negotiable), then mandatory, then best score.
    key: Callable[[int], tuple] = lambda j: (not data.fixed[j], not data.mandatory[j], -score[j], j)  # noqa: E731
    return sorted(range(data.num_projects), key=key)


def greedy_schedule(data: ProblemData, order: list[int]) -> Schedule:
    """Place projects in ``order``; see the module docstring."""
    portfolio, decided, failed_mandatory = Portfolio(data), set[int](), []
    for j in order:
        if j in decided:
            continue
        placed = _place_with_predecessors(portfolio, j, decided)
        if not placed and data.mandatory[j]:
            failed_mandatory.append(j)
    if failed_mandatory:
        return _unplaced(data, portfolio, failed_mandatory)
    return Schedule(starts=dict(portfolio.starts), status="feasible")


def _place_with_predecessors(portfolio: Portfolio, j: int, decided: set[int]) -> bool:
    """Place j (and first any undecided predecessors); undo those if j does not fit."""
    data, added = portfolio.data, []
    for pred, _ in data.predecessors[j]:
        if pred not in decided and _place_with_predecessors(portfolio, pred, decided):
            added.append(pred)
    ok = _place(portfolio, j)
    decided.add(j)
    if not ok:
        for pred in reversed(added):
            if not data.mandatory[pred]:
                portfolio.remove(pred)
    return ok


def repair(data: ProblemData, starts: dict[int, int]) -> dict[int, int] | None:
    """An exact plan close to ``starts``, a plan that may break capacity or budget (a solution
    of the relaxed model): its projects, most valuable first, each at the start nearest its
    own that fits, then the other projects at their earliest fit, as the greedy places them.
    None when a mandatory project finds no place."""
    portfolio = Portfolio(data)
    key: Callable[[int], tuple] = lambda j: (  # noqa: E731
        not data.fixed[j],
        not data.mandatory[j],
        -data.start_value(j, starts[j]),
        j,
    )
    todo = sorted(starts, key=key)
    while todo:  # again while some were placed: a predecessor may have come later in the order
        left = [j for j in todo if not _place(portfolio, j, near=starts[j])]
        if len(left) == len(todo):
            break
        todo = left
    if any(data.mandatory[j] and j not in portfolio.starts for j in range(data.num_projects)):
        return None
    worth = np.array([data.start_value(j, int(data.earliest[j])) for j in range(data.num_projects)])
    for j in _order(data, worth):
        if j not in portfolio.starts:
            _place(portfolio, j)
    return dict(portfolio.starts)


def _place(portfolio: Portfolio, j: int, near: int | None = None) -> bool:
    """Place j at its earliest start that fits, or with ``near``, at the fitting start
    nearest that one (earlier on a tie)."""
    data = portfolio.data
    first = portfolio.earliest_start(j)
    if first is None:
        return False
    options = range(first, int(data.latest[j]) + 1)
    for s in options if near is None else sorted(options, key=lambda s: (abs(s - near), s)):
        if not data.mandatory[j] and data.objective == "value" and data.start_value(j, s) <= 0:
            if near is None:
                return False  # no longer worth anything to the objective
            continue
        if portfolio.budget_short(j, s) > 0:
            continue
        flows = portfolio.capacity_flows(j, s)
        if flows is not None:
            portfolio.place(j, s, flows)
            return True
    return False


def _better(data: ProblemData, a: Schedule, b: Schedule) -> bool:
    if (a.status == "feasible") != (b.status == "feasible"):
        return a.status == "feasible"
    return schedule_objective(data, a.starts) > schedule_objective(data, b.starts) + 1e-9


def schedule_objective(data: ProblemData, starts: dict[int, int]) -> float:
    """The objective of a schedule, oriented so that larger is better."""
    if data.objective == "makespan":
        return -max((s + int(data.length[j]) for j, s in starts.items()), default=0)
    return sum(data.start_value(j, s) for j, s in starts.items())


def _unplaced(data: ProblemData, portfolio: Portfolio, failed: list[int]) -> Schedule:
    """Mandatory work the greedy could not place: report what stood in the way."""
    conflicts = [_conflict(data, portfolio, j) for j in failed]
    return Schedule(
        starts={},
        status="unknown",
        conflicts=conflicts,
        notes=[
            "the greedy could not place every mandatory project; cp-sat can prove whether any plan exists"
        ],
    )


def _conflict(data: ProblemData, portfolio: Portfolio, j: int) -> dict:
    first = portfolio.earliest_start(j)
    pid = data.project_ids[j]
    if first is None:
        missing = [data.project_ids[p] for p, _ in data.predecessors[j] if p not in portfolio.starts]
        return {
            "projects": [pid, *missing],
            "text": f"'{pid}' needs {', '.join(missing)} first, which could not be placed",
        }
    s = min(max(first, int(data.earliest[j])), max(int(data.latest[j]), first))
    if s + int(data.length[j]) > data.num_periods:
        return {
            "projects": [pid],
            "text": f"'{pid}' cannot finish within its window after its predecessors",
        }
    short = portfolio.shortfall(j, s)
    if not short.any():  # nothing short (or no demand at all): the budget stands in the way
        return {
            "projects": [pid],
            "text": f"'{pid}' does not fit the budget alongside the other mandatory projects",
        }
    c = int(np.argmax(short.sum(axis=0)))
    periods = [s + int(x) for x in np.flatnonzero(short[:, c])]
    others = sorted(
        data.project_ids[k]
        for k, sk in portfolio.starts.items()
        if data.mandatory[k]
        and any(sk <= t < sk + int(data.length[k]) for t in periods)
        and c in data.project_classes[k]
    )
    hours = to_hours(int(short[:, c].sum()))
    text = (
        f"'{pid}' needs {hours:g} h more {data.class_name(c)} than is free in periods "
        f"{periods[0]}-{periods[-1]}" + (f", alongside {', '.join(others)}" if others else "")
    )
    return {
        "projects": [pid, *others],
        "skill": data.skill_ids[data.classes[c].skill],
        "periods": periods,
        "shortfall_hours": hours,
        "text": text,
    }
