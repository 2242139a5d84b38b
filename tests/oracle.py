"""Independent feasibility oracle for plans.

Written from ``FORMAT.md`` alone and deliberately sharing no code with ``engine`` or
``solvers``: it reads plain dicts (parsed JSON), so any scenario/plan pair can be checked,
and a bug in the engine's own model cannot hide itself by also living here.

Public API
----------
check(scenario, plan, tol=1e-6) -> list[str]
    Every violation found; an empty list means the plan is valid.
recompute_objective(scenario, plan) -> float
    The objective implied by the plan's selection and start periods.
"""

from __future__ import annotations

import calendar as _calendar
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

__all__ = ["check", "recompute_objective"]

Json = dict[str, Any]

DEFAULT_FTE_HOURS = 37.5
ROUNDING_HOURS = 0.005  # rows may be rounded to the hundredth of an hour
BUDGET_RTOL = 1e-9
OBJECTIVE_TOL = 1e-6
STATUSES = ("optimal", "feasible", "infeasible", "unknown")


# --------------------------------------------------------------------------- calendar


def _add_months(day: date, months: int) -> date:
    """Step whole months from ``day``, clamping the day to the target month's length."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = _calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


class Calendar:
    """Period arithmetic for ``scenario.calendar`` (weeks or months, Mon-Fri working)."""

    def __init__(self, spec: Json) -> None:
        self.start = date.fromisoformat(spec["start"])
        self.kind = spec.get("period", "week")
        if self.kind not in ("week", "month"):
            raise ValueError(f"unknown calendar period {self.kind!r}")
        self.horizon = int(spec["periods"])
        self.fte_hours = float(spec.get("fte_hours", DEFAULT_FTE_HOURS))
        month, day = str(spec.get("year_start", "04-01")).split("-")
        self.year_start = (int(month), int(day))
        self.working_days = cache(self._working_days)

    def period_start(self, t: int) -> date:
        # Months are stepped from the ORIGINAL start each time so clamping never drifts.
        if self.kind == "week":
            return self.start + timedelta(days=7 * t)
        return _add_months(self.start, t)

    def period_end(self, t: int) -> date:
        return self.period_start(t + 1) - timedelta(days=1)

    def period_of(self, day: date) -> int:
        """The period that contains ``day`` (may be negative or past the horizon)."""
        if self.kind == "week":
            return (day - self.start).days // 7
        t = (day.year - self.start.year) * 12 + day.month - self.start.month
        while self.period_start(t) > day:
            t -= 1
        while self.period_start(t + 1) <= day:
            t += 1
        return t

    def to_period(self, value: Any) -> int:
        """A period given as an int is used as is; a date means the period holding it."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return self.period_of(date.fromisoformat(str(value)))

    def _working_days(self, t: int) -> frozenset[date]:
        first, last = self.period_start(t), self.period_end(t)
        days = (first + timedelta(days=i) for i in range((last - first).days + 1))
        return frozenset(d for d in days if d.weekday() < 5)

    def financial_year(self, t: int) -> str:
        """Key of the financial year holding the first day of period ``t``."""
        first = self.period_start(t)
        year = first.year if (first.month, first.day) >= self.year_start else first.year - 1
        return str(year)


# --------------------------------------------------------------------------- context


@dataclass
class _Row:
    staff: str
    project: str
    skill: str
    period: int
    hours: float


@dataclass
class _Ctx:
    """Everything the checks share: the scenario indexed by id, the plan parsed."""

    scenario: Json
    plan: Json
    tol: float
    cal: Calendar
    staff: dict[str, Json]
    projects: dict[str, Json]
    skills: set[str]
    entries: dict[str, Json] = field(default_factory=dict)  # first plan entry per id
    schedule: dict[str, tuple[int, int]] = field(default_factory=dict)  # selected only
    rows: list[_Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def policy(self) -> Json:
        return self.scenario.get("policy") or {}

    def objective_kind(self) -> str:
        return str(self.policy().get("objective") or "value")


def _make_ctx(scenario: Json, plan: Json, tol: float) -> _Ctx:
    staff = {s["id"]: s for s in scenario.get("staff", [])}
    projects = {p["id"]: p for p in scenario.get("projects", [])}
    if "skills" in scenario:
        skills = {s["id"] for s in scenario["skills"]}
    else:  # no skill list: anything the scenario mentions exists
        skills = {k for s in staff.values() for k in s.get("skills", {})}
        skills |= {d["skill"] for p in projects.values() for d in _all_demand(p)}
    ctx = _Ctx(scenario, plan, tol, Calendar(scenario["calendar"]), staff, projects, skills)
    for entry in plan.get("projects") or []:
        ctx.entries.setdefault(entry.get("id"), entry)
    return ctx


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --------------------------------------------------------------------------- scenario facts


def _all_demand(project: Json) -> list[Json]:
    return [d for ph in project.get("phases", []) for d in ph.get("demand", [])]


def _length(project: Json) -> int:
    return sum(int(ph["periods"]) for ph in project.get("phases", []))


def _demand_at(project: Json, offset: int, fte_hours: float) -> list[tuple[str, int, float]]:
    """(skill, min_level, hours) items needed ``offset`` periods after the project starts."""
    for phase in project.get("phases", []):
        if offset < int(phase["periods"]):
            return [
                (d["skill"], int(d.get("min_level") or 1), _item_hours(d, fte_hours))
                for d in phase.get("demand", [])
            ]
        offset -= int(phase["periods"])
    return []


def _item_hours(item: Json, fte_hours: float) -> float:
    if item.get("hours") is not None:
        return float(item["hours"])
    return float(item.get("fte") or 0.0) * fte_hours


def _earliest(ctx: _Ctx, project: Json) -> int:
    # A date before the calendar start still means "from period 0".
    if project.get("earliest_start") is None:
        return 0
    return max(0, ctx.cal.to_period(project["earliest_start"]))


def _level(ctx: _Ctx, staff_id: str, skill: str) -> int:
    person = ctx.staff.get(staff_id)
    return int((person or {}).get("skills", {}).get(skill) or 0)


def _capacity(ctx: _Ctx, staff_id: str, t: int) -> float:
    """fte * fte_hours, less the leave share of working days, times max_utilisation."""
    person = ctx.staff[staff_id]
    by_period = person.get("fte_by_period")
    fte = by_period[t] if by_period and t < len(by_period) else person.get("fte", 1.0)
    working = ctx.cal.working_days(t)
    leave_share = len(working & _leave_days(ctx, person, t)) / len(working) if working else 0.0
    utilisation = ctx.policy().get("max_utilisation")
    utilisation = 1.0 if utilisation is None else float(utilisation)
    return float(fte) * ctx.cal.fte_hours * (1.0 - leave_share) * utilisation


def _leave_days(ctx: _Ctx, person: Json, t: int) -> set[date]:
    """Days of period ``t`` on leave; a set, so overlapping ranges count each day once."""
    first, last = ctx.cal.period_start(t), ctx.cal.period_end(t)
    days: set[date] = set()
    for leave in person.get("leave") or []:
        lo = max(first, date.fromisoformat(leave["from"]))
        hi = min(last, date.fromisoformat(leave["to"]))
        days.update(lo + timedelta(days=i) for i in range((hi - lo).days + 1))
    return days


def _priority(scenario: Json, project: Json) -> float:
    if project.get("priority") is not None:
        return float(project["priority"])
    drivers = scenario.get("drivers") or []
    weights = {d["id"]: float(d.get("weight", 1.0)) for d in drivers}
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    scores = project.get("scores") or {}
    return 20.0 * sum(w * float(scores.get(k, 0)) for k, w in weights.items()) / total


# --------------------------------------------------------------------------- plan structure


def _check_coverage(ctx: _Ctx) -> None:
    """Every scenario project appears exactly once; no unknown ids."""
    counts: dict[Any, int] = defaultdict(int)
    for entry in ctx.plan.get("projects") or []:
        counts[entry.get("id")] += 1
    for pid in ctx.projects:
        if counts[pid] == 0:
            ctx.errors.append(f"project '{pid}' missing from plan.projects")
        elif counts[pid] > 1:
            ctx.errors.append(f"project '{pid}' appears {counts[pid]} times in plan.projects")
    for pid in counts:
        if pid not in ctx.projects:
            ctx.errors.append(f"plan.projects has unknown project id {pid!r}")


def _check_conflicts(ctx: _Ctx) -> None:
    """An infeasible plan must say what conflicts."""
    conflicts = ctx.plan.get("conflicts")
    if ctx.plan.get("status") == "infeasible" and not (isinstance(conflicts, list) and conflicts):
        ctx.errors.append("infeasible plan has no conflicts listed")


def _parse_schedule(ctx: _Ctx) -> None:
    """Collect (start_period, finish_period) of selected projects; flag bad ones."""
    for pid, entry in ctx.entries.items():
        if pid not in ctx.projects or not entry.get("selected"):
            continue
        start, finish = _as_int(entry.get("start_period")), _as_int(entry.get("finish_period"))
        if start is None or finish is None:
            ctx.errors.append(f"selected project '{pid}' lacks integer start/finish periods")
            continue
        ctx.schedule[pid] = (start, finish)


def _check_selection(ctx: _Ctx) -> None:
    """Mandatory, fixed-start (and, for makespan, all) projects are selected."""
    for pid, project in ctx.projects.items():
        entry = ctx.entries.get(pid)
        if entry is None or entry.get("selected"):
            continue
        if project.get("mandatory"):
            ctx.errors.append(f"mandatory project '{pid}' is not selected")
        if project.get("start") is not None:
            ctx.errors.append(f"fixed-start project '{pid}' is not selected")
        if ctx.objective_kind() == "makespan":
            ctx.errors.append(f"objective makespan but project '{pid}' is not selected")
        explanation = entry.get("explanation")
        if not (isinstance(explanation, dict) and "code" in explanation and "text" in explanation):
            ctx.errors.append(f"excluded project '{pid}' lacks an explanation with code and text")


def _check_windows(ctx: _Ctx) -> None:
    """Start window, length, horizon, deadline, fixed start and date strings."""
    for pid, (start, finish) in ctx.schedule.items():
        project, cal = ctx.projects[pid], ctx.cal
        earliest = _earliest(ctx, project)
        if start < earliest:
            ctx.errors.append(f"project '{pid}' starts in period {start} < earliest {earliest}")
        if finish != start + _length(project):
            ctx.errors.append(
                f"project '{pid}' finish_period {finish} != start {start} + length {_length(project)}"
            )
        if finish > cal.horizon:
            ctx.errors.append(f"project '{pid}' finishes at {finish} past horizon {cal.horizon}")
        if project.get("latest_finish") is not None:
            limit = cal.to_period(project["latest_finish"]) + 1
            if finish > limit:
                ctx.errors.append(f"project '{pid}' misses its deadline: finish_period {finish} > {limit}")
        if project.get("start") is not None and start != cal.to_period(project["start"]):
            fixed = cal.to_period(project["start"])
            ctx.errors.append(f"fixed project '{pid}' moved: starts {start}, fixed at {fixed}")
        _check_dates(ctx, pid, start, finish)


def _check_dates(ctx: _Ctx, pid: str, start: int, finish: int) -> None:
    entry = ctx.entries[pid]
    expected = {
        "start": ctx.cal.period_start(start).isoformat(),
        "finish": ctx.cal.period_end(finish - 1).isoformat(),
    }
    for key, want in expected.items():
        got = entry.get(key)
        if got is not None and got != want:
            ctx.errors.append(f"project '{pid}' {key} {got!r} != {want!r}")


def _check_dependencies(ctx: _Ctx) -> None:
    """Predecessors are selected and finish ``lag`` periods before the successor starts."""
    for pid, (start, _) in ctx.schedule.items():
        for dep in ctx.projects[pid].get("depends_on") or []:
            pred, lag = (dep, 0) if isinstance(dep, str) else (dep["project"], dep.get("lag", 0))
            if pred not in ctx.projects:
                ctx.errors.append(f"project '{pid}' depends on unknown project '{pred}'")
            elif pred not in ctx.schedule:
                ctx.errors.append(f"project '{pid}' selected but predecessor '{pred}' is not")
            elif start < ctx.schedule[pred][1] + int(lag or 0):
                ctx.errors.append(
                    f"project '{pid}' starts in period {start} before predecessor '{pred}' "
                    f"finish {ctx.schedule[pred][1]} + lag {int(lag or 0)}"
                )


# --------------------------------------------------------------------------- assignments


def _parse_rows(ctx: _Ctx) -> None:
    """Keep well-formed rows of known staff/project/skill; flag the rest."""
    seen: set[tuple[str, str, str, int]] = set()
    for i, raw in enumerate(ctx.plan.get("assignments") or []):
        period, hours = _as_int(raw.get("period")), raw.get("hours")
        if period is None or not _is_number(hours):
            ctx.errors.append(f"assignment #{i} has a non-integer period or bad hours: {raw}")
            continue
        row = _Row(raw.get("staff"), raw.get("project"), raw.get("skill"), period, float(hours))
        where = f"assignment #{i} ({row.staff}, {row.project}, {row.skill}, period {period})"
        unknown = [
            f"{kind} {name!r}"
            for kind, name, known in (
                ("staff", row.staff, ctx.staff),
                ("project", row.project, ctx.projects),
                ("skill", row.skill, ctx.skills),
            )
            if name not in known
        ]
        if unknown:
            ctx.errors.append(f"{where} names unknown {', '.join(unknown)}")
            continue
        if row.hours <= 0:
            ctx.errors.append(f"{where} has non-positive hours {row.hours}")
        key = (row.staff, row.project, row.skill, period)
        if key in seen:
            ctx.errors.append(f"{where} duplicates an earlier row")
        seen.add(key)
        ctx.rows.append(row)


def _check_rows(ctx: _Ctx) -> None:
    """Each row: project active then, skill needed then, person qualified for it."""
    for row in ctx.rows:
        where = f"assignment ({row.staff}, {row.project}, {row.skill}, period {row.period})"
        span = ctx.schedule.get(row.project)
        if span is None or not span[0] <= row.period < span[1]:
            ctx.errors.append(f"{where}: project not selected and active in that period")
            continue
        items = _demand_at(ctx.projects[row.project], row.period - span[0], ctx.cal.fte_hours)
        levels = [lvl for skill, lvl, _ in items if skill == row.skill]
        level = _level(ctx, row.staff, row.skill)
        if not levels:
            ctx.errors.append(f"{where}: project needs no '{row.skill}' in that period")
        elif level < 1:
            ctx.errors.append(f"{where}: '{row.staff}' lacks skill '{row.skill}'")
        elif level < min(levels):
            ctx.errors.append(f"{where}: level {level} below every min_level needed ({min(levels)})")


def _check_demand(ctx: _Ctx) -> None:
    """Demand met exactly, by nested level thresholds (Hall's condition)."""
    supplied: dict[tuple[str, int, str], list[tuple[int, float]]] = defaultdict(list)
    for row in ctx.rows:
        level = _level(ctx, row.staff, row.skill)
        supplied[row.project, row.period, row.skill].append((level, row.hours))
    for pid, (start, finish) in ctx.schedule.items():
        for t in range(start, finish):
            by_skill: dict[str, list[tuple[int, float]]] = defaultdict(list)
            for skill, lvl, hours in _demand_at(ctx.projects[pid], t - start, ctx.cal.fte_hours):
                by_skill[skill].append((lvl, hours))
            for skill, items in by_skill.items():
                _check_skill_demand(ctx, pid, t, skill, items, supplied[pid, t, skill])


def _check_skill_demand(
    ctx: _Ctx,
    pid: str,
    t: int,
    skill: str,
    items: list[tuple[int, float]],
    supply: list[tuple[int, float]],
) -> None:
    # Items needing level >= L can only be served by people at level >= L, and the
    # sets are nested, so checking every threshold is necessary and sufficient.
    for threshold in sorted({lvl for lvl, _ in items}):
        need = sum(h for lvl, h in items if lvl >= threshold)
        have = sum(h for lvl, h in supply if lvl >= threshold)
        if have < need - ctx.tol * max(1.0, need):
            ctx.errors.append(
                f"project '{pid}' demand unmet in period {t} for '{skill}' at level "
                f">= {threshold}: {have:.2f} h assigned < {need:.2f} h needed"
            )


def _check_capacity(ctx: _Ctx) -> None:
    """Nobody is planned above capacity in any period."""
    load: dict[tuple[str, int], float] = defaultdict(float)
    for row in ctx.rows:
        load[row.staff, row.period] += row.hours
    for (staff_id, t), hours in sorted(load.items()):
        if not 0 <= t < ctx.cal.horizon:
            ctx.errors.append(f"staff '{staff_id}' assigned in period {t} outside the horizon")
            continue
        cap = _capacity(ctx, staff_id, t)
        if hours > cap + ctx.tol * max(1.0, cap) + ROUNDING_HOURS:
            ctx.errors.append(
                f"staff '{staff_id}' over capacity in period {t}: "
                f"{hours:.2f} h assigned > {cap:.2f} h available"
            )


# --------------------------------------------------------------------------- budget


def _spend_by_period(ctx: _Ctx, include_labour: bool) -> dict[int, float]:
    """Project cost spread evenly over active periods, plus labour in the row's period."""
    spend: dict[int, float] = defaultdict(float)
    for pid, (start, finish) in ctx.schedule.items():
        cost = float(ctx.projects[pid].get("cost") or 0.0)
        if finish <= start:  # no active period: charge it where it starts
            spend[start] += cost
        for t in range(start, finish):
            spend[t] += cost / (finish - start)
    if include_labour:
        for row in ctx.rows:
            rate = float(ctx.staff[row.staff].get("cost_per_hour") or 0.0)
            spend[row.period] += row.hours * rate
    return spend


def _over(spent: float, limit: float) -> bool:
    return spent > limit + BUDGET_RTOL * max(1.0, abs(limit))


def _check_budget(ctx: _Ctx) -> None:
    """Total, per-period and per-financial-year caps, whichever are given."""
    budget = ctx.policy().get("budget")
    if not budget:
        return
    spend = _spend_by_period(ctx, bool(budget.get("include_labour")))
    if budget.get("total") is not None and _over(sum(spend.values()), budget["total"]):
        ctx.errors.append(f"budget exceeded: {sum(spend.values()):.2f} > {budget['total']}")
    for t, cap in enumerate(budget.get("by_period") or []):
        if _over(spend.get(t, 0.0), cap):
            ctx.errors.append(f"budget exceeded in period {t}: {spend[t]:.2f} > {cap}")
    by_year: dict[str, float] = defaultdict(float)
    for t, amount in spend.items():
        by_year[ctx.cal.financial_year(t)] += amount
    for year, cap in (budget.get("by_year") or {}).items():
        if _over(by_year.get(str(year), 0.0), cap):
            ctx.errors.append(f"budget exceeded in financial year {year}: {by_year[str(year)]:.2f} > {cap}")


# --------------------------------------------------------------------------- objective


def _objective(ctx: _Ctx) -> float:
    kind = ctx.objective_kind()
    if kind == "makespan":
        return float(max((finish for _, finish in ctx.schedule.values()), default=0))
    if kind == "priority":
        return sum(_priority(ctx.scenario, ctx.projects[pid]) for pid in ctx.schedule)
    total = 0.0
    for pid, (start, _) in ctx.schedule.items():
        project = ctx.projects[pid]
        delay = start - _earliest(ctx, project)
        total += float(project.get("value") or 0.0)
        total -= float(project.get("cost_of_delay") or 0.0) * delay
    return total


def _check_objective(ctx: _Ctx) -> None:
    expected = _objective(ctx)
    got: Any = ctx.plan.get("objective")
    if not _is_number(got):
        ctx.errors.append(f"plan objective {got!r} is not a number (expected {expected})")
    elif abs(got - expected) > OBJECTIVE_TOL * abs(expected) + OBJECTIVE_TOL:
        ctx.errors.append(f"plan objective {got} != recomputed {expected}")


def _check_metrics(ctx: _Ctx) -> None:
    metrics = ctx.plan.get("metrics")
    if isinstance(metrics, dict) and "selected" in metrics:
        selected = sum(1 for pid in ctx.projects if (ctx.entries.get(pid) or {}).get("selected"))
        if metrics["selected"] != selected:
            ctx.errors.append(f"metrics.selected {metrics['selected']} != {selected} selected")


# --------------------------------------------------------------------------- public API


def check(scenario: Json, plan: Json, *, tol: float = 1e-6) -> list[str]:
    """Return every violation of FORMAT.md found in ``plan`` (empty list = valid).

    Parameters
    ----------
    scenario, plan
        Parsed JSON documents.
    tol
        Absolute numeric tolerance in hours (scaled up for capacities above 1 h).
    """
    ctx = _make_ctx(scenario, plan, tol)
    status = plan.get("status")
    if status not in STATUSES:
        ctx.errors.append(f"plan status {status!r} is not one of {', '.join(STATUSES)}")
    _check_coverage(ctx)
    if status in ("infeasible", "unknown"):
        _check_conflicts(ctx)
        return ctx.errors
    _parse_schedule(ctx)
    _parse_rows(ctx)
    for step in (
        _check_selection,
        _check_windows,
        _check_dependencies,
        _check_rows,
        _check_demand,
        _check_capacity,
        _check_budget,
        _check_objective,
        _check_metrics,
    ):
        step(ctx)
    return ctx.errors


def recompute_objective(scenario: Json, plan: Json) -> float:
    """The objective FORMAT.md implies for the plan's selected projects and starts."""
    ctx = _make_ctx(scenario, plan, 0.0)
    _parse_schedule(ctx)
    return _objective(ctx)
