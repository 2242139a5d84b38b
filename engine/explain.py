"""Why each project is out, computed from the plan as it stands (never guessed).

For an excluded project we test, against the capacity and budget the selected projects
leave, every start in its window: if a predecessor is out it is a dependency; if some
start fits capacity but not the budget it is the budget; otherwise it is capacity, and we
report the skill, periods and hours short at the start where it comes closest to fitting.
"""

from __future__ import annotations

import numpy as np

from engine.plan import Explanation
from engine.problem import ProblemData, to_hours
from engine.words import names, skill_words, span, when
from solvers.portfolio import Portfolio

DISPLACED_UP_TO = 1000  # projects; above, "capacity" is not split into capacity and displaced (time)
EXTRA_UP_TO = 100  # projects; above, the least extra capacity is left to `capacity explain` (time)


def explain_exclusions(data: ProblemData, starts: dict[int, int]) -> dict[int, Explanation]:
    """An explanation for every project not in ``starts``."""
    portfolio = Portfolio.of(data, starts)
    forced = None
    if data.num_projects <= DISPLACED_UP_TO:
        forced = Portfolio.of(data, {j: s for j, s in starts.items() if data.mandatory[j]})
    explanations = {}
    for j in range(data.num_projects):
        if j not in starts:
            explanation = explain(portfolio, j)
            if explanation.code == "capacity" and forced is not None and _fits_beside(forced, j):
                explanation = _displaced(portfolio, j, explanation)
            if explanation.code in ("capacity", "displaced") and data.num_projects <= EXTRA_UP_TO:
                explanation = _with_extra(portfolio, j, explanation)
            explanations[j] = explanation
    return explanations


def _fits_beside(forced: Portfolio, j: int) -> bool:
    """Whether j fits capacity at some start beside the mandatory and fixed work alone."""
    data = forced.data
    first = int(data.earliest[j])
    for pred, lag in data.predecessors[j]:
        placed = forced.starts.get(pred)
        first = max(
            first, (placed if placed is not None else int(data.earliest[pred])) + int(data.length[pred]) + lag
        )
    return any(forced.capacity_flows(j, s) is not None for s in range(first, int(data.latest[j]) + 1))


def _with_extra(portfolio: Portfolio, j: int, short: Explanation) -> Explanation:
    """What it would take: the least extra capacity (a min-cost flow) at its earliest start or at
    the start closest to fitting, whichever needs less."""
    from engine.whatif import extra_cost, extra_json, least_extra_capacity, need_words

    data, earliest = portfolio.data, portfolio.earliest_start(j)
    if earliest is None:
        return short
    best = getattr(short, "best_start", None) or earliest  # an extra field of the explanation
    options = {s: least_extra_capacity(data, portfolio.starts, j, s, portfolio) for s in {earliest, best}}
    first = min(options, key=lambda s: (extra_cost(options[s]), s))
    extra = options[first]
    if not extra:
        return short
    needs = "; ".join(need_words(data, e) for e in extra)
    if short.code == "displaced":
        who = getattr(short, "displaced_words", "")
        why = f"Left out for other work: the capacity it needs goes to {who}, which the plan keeps."
    else:
        why = "Left out: there is not enough capacity for it, even beside the mandatory work alone."
    text = f"{why} From {data.calendar.first_day(first):%d %b %Y} it would fit with {needs}."
    listed = [extra_json(data, e) for e in extra]
    return short.model_copy(update={"text": text, "extra_capacity": listed, "extra_from": first})


def _displaced(portfolio: Portfolio, j: int, short: Explanation) -> Explanation:
    """Capacity that exists, beside the mandatory work, but goes to projects the plan keeps: name
    them, those taking the most hours of people who could do the lacking work first."""
    data = portfolio.data
    periods = np.array(sorted(short.periods or []), dtype=np.int64)
    competing = _competing(data, short)
    first, last = (int(periods.min()), int(periods.max())) if len(periods) else (0, -1)
    hours = {
        p: _hours_taken(data, p, s, periods, competing)
        for p, s in portfolio.starts.items()
        if not data.mandatory[p] and s <= last and s + int(data.length[p]) > first
    }
    rivals = [p for p, taken in hours.items() if taken > 0]
    rivals.sort(key=lambda p: (-hours[p], -data.value[p], data.project_ids[p]))
    ids = [data.project_ids[p] for p in rivals[:3]]
    text = short.text.replace("Left out: needs", "Left out for other work: it would need", 1)
    who = _rivals(ids, len(rivals))
    text += f" That capacity goes to {who}, which the plan keeps."
    update = {"code": "displaced", "text": text, "displaced_by": ids, "displaced_words": who}
    return short.model_copy(update=update)


def _hours_taken(data: ProblemData, p: int, s: int, periods: np.ndarray, competing: np.ndarray) -> int:
    """Units of project p (started at s) in ``periods`` and in the ``competing`` classes."""
    rows = periods[(periods >= s) & (periods < s + int(data.length[p]))] - s
    return int(data.demand[p][rows][:, competing[data.project_classes[p]]].sum())


def _competing(data: ProblemData, short: Explanation) -> np.ndarray:
    """Per class, whether its demand takes people who could do the work ``short`` lacks
    (someone qualified for both: a multi-skilled person's week goes to one or the other)."""
    lacking = [
        c
        for c, cls in enumerate(data.classes)
        if data.skill_ids[cls.skill] == short.skill and cls.min_level == short.min_level
    ]
    assert lacking, "a shortfall is always in one of the portfolio's classes"
    qualified = data.group_eligible[:, lacking].any(axis=1)
    return np.asarray(data.group_eligible[qualified].any(axis=0))


def _rivals(ids: list[str], total: int) -> str:
    """'a', 'b' and 'c'; or 'a', 'b', 'c' and 2 more."""
    if not ids:
        return "other projects"
    if total <= len(ids):
        return names(ids)
    return ", ".join(f"'{i}'" for i in ids) + f" and {total - len(ids)} more"


def explain(portfolio: Portfolio, j: int) -> Explanation:
    data = portfolio.data
    missing = [data.project_ids[p] for p, _ in data.predecessors[j] if p not in portfolio.starts]
    if missing:
        names = ", ".join(f"'{m}'" for m in missing)
        return Explanation(
            code="dependency",
            text=f"Left out: it depends on {names}, which {_is_are(missing)} not in the plan.",
            predecessors=missing,
        )
    first, last = portfolio.earliest_start(j), int(data.latest[j])
    if first is None or first > last:
        return Explanation(code="window", text=_window_text(data, j, first))
    fits, budget_blocked = _scan(portfolio, j, first, last)
    if fits is not None:
        return Explanation(code="not_chosen", text=_fits_text(data, j, fits), fits_from=fits)
    if budget_blocked is not None:
        s, short = budget_blocked
        return Explanation(
            code="budget",
            text=(
                f"Left out: capacity allows it from {when(data, s)}, "
                f"but it would take the plan {short:,.0f} over budget."
            ),
            budget_short=round(short, 2),
            fits_from=s,
        )
    return _capacity(portfolio, j, first, last)


def _scan(portfolio: Portfolio, j: int, first: int, last: int) -> tuple[int | None, tuple[int, float] | None]:
    """The first start that fits, and the first that fits capacity but not the budget."""
    budget_blocked = None
    for s in range(first, last + 1):
        if portfolio.capacity_flows(j, s) is None:
            continue
        short = portfolio.budget_short(j, s)
        if short <= 0:
            return s, None
        budget_blocked = budget_blocked or (s, short)
    return None, budget_blocked


def _capacity(portfolio: Portfolio, j: int, first: int, last: int) -> Explanation:
    data = portfolio.data
    s = portfolio.scan(j).fewest_failing(first, last)
    short = portfolio.shortfall(j, s)
    c = int(np.argmax(short.sum(axis=0)))
    periods = [s + int(r) for r in np.flatnonzero(short[:, c])]
    hours = to_hours(int(short[:, c].sum()))
    fte = hours / (len(periods) * data.scenario.calendar.fte_hours)
    skill = data.skill_ids[data.classes[c].skill]
    level = data.classes[c].min_level
    others = [data.class_name(int(k)) for k in np.flatnonzero(short.sum(axis=0)) if k != c]
    also = f" (and more {', '.join(others)})" if others else ""
    text = (
        f"Left out: needs {fte:.1f} FTE more {skill_words(data, c)} in {span(data, periods)} "
        f"({hours:,.1f} hours){also}, even at its best start, {when(data, s)}."
    )
    return Explanation(
        code="capacity",
        text=text,
        skill=skill,
        min_level=level,
        periods=periods,
        shortfall_hours=hours,
        shortfall_fte=round(fte, 2),
        best_start=s,
    )


def _window_text(data: ProblemData, j: int, first: int | None) -> str:
    length = int(data.length[j])
    if first is not None and first > int(data.earliest[j]):
        return (
            f"Left out: its predecessors finish too late (period {first}) "
            f"for it to run {length} periods within its window."
        )
    return f"Left out: its window cannot hold its {length} periods."


def _fits_text(data: ProblemData, j: int, s: int) -> str:
    worth = data.start_value(j, s)
    why = (
        "but it adds nothing to the objective"
        if worth <= 0 and data.objective != "makespan"
        else "but the solver did not take it in within its time limit"
    )
    return f"Left out by choice: it would fit as the plan stands starting {when(data, s)}, {why}."


def _is_are(items: list[str]) -> str:
    return "is" if len(items) == 1 else "are"
