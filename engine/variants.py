"""What-if variants: a small language of changes applied to a base scenario.

A variant is a name and a list of changes; each change is a mapping with one key, its
kind, whose value says what to change (``docs/VARIANTS.md`` lists them all)::

    {"add_capacity": {"skill": "ba", "fte": 2, "level": 3, "from": "2027-10-04"}}
    {"set_budget": {"total": 6500000}}
    {"force_in": ["epr"]}

:func:`apply_variant` applies the changes in order to a copy of the base scenario and
validates the result, so it returns a complete, valid scenario document or raises
:class:`~engine.errors.ScenarioError` whose problems name the variant and the change
(``variants.more-analysts.changes[1].skill: unknown skill 'bz'``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from engine.calendar import PeriodCalendar
from engine.errors import Problem, ScenarioError
from engine.io import join_path, problems_from
from engine.scenario import Calendar, PeriodRef
from engine.validation import validate
from engine.variant_args import (
    AddCapacity,
    AddStaff,
    FixStart,
    RemoveStaff,
    ScaleCapacity,
    ScaleProjects,
    SetBudget,
    ShiftStart,
    listed,
)

Document = dict[str, Any]


@dataclass(frozen=True)
class Variant:
    """A named what-if: changes to apply to the base scenario, and the parameters it stands for."""

    name: str
    changes: tuple[Any, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""


class _Bad(Exception):
    """A change that cannot be applied: a path below the change and a sentence."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where, self.message = where, message


# -- applying changes ---------------------------------------------------------------------
class _Target:
    """The scenario document being changed, with lookups that raise :class:`_Bad`."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.calendar = PeriodCalendar(Calendar.model_validate(doc["calendar"]))
        self.horizon = self.calendar.num_periods

    def skill(self, skill: str, where: str = "skill") -> str:
        if skill not in {s.get("id") for s in self.doc.get("skills", [])}:
            raise _Bad(where, f"unknown skill '{skill}'")
        return skill

    def project(self, project_id: str, where: str = "project") -> Document:
        for project in self.doc.get("projects", []):
            if project.get("id") == project_id:
                return project
        raise _Bad(where, f"unknown project '{project_id}'")

    def projects_by_id(self) -> dict[str, Document]:
        return {p["id"]: p for p in self.doc.get("projects", [])}

    def period(self, ref: PeriodRef | None, where: str, default: int) -> int:
        if ref is None:
            return default
        t = self.calendar.resolve(ref)
        if not 0 <= t < self.horizon:
            raise _Bad(where, f"{ref} is outside the calendar (periods 0 to {self.horizon - 1})")
        return t

    def window(self, args: Any) -> tuple[int, int]:
        """Periods ``from`` to ``to`` inclusive (the whole horizon by default)."""
        first = self.period(args.start, "from", 0)
        last = self.period(args.end, "to", self.horizon - 1)
        if last < first:
            raise _Bad("to", f"ends (period {last}) before it starts (period {first})")
        return first, last

    def fte_by_period(self, person: Document) -> list[float]:
        given = person.get("fte_by_period")
        return list(given) if given is not None else [float(person.get("fte", 1.0))] * self.horizon


def _between(fte: float, first: int, last: int, horizon: int) -> list[float]:
    return [fte if first <= t <= last else 0.0 for t in range(horizon)]


def _add_staff(target: _Target, args: AddStaff) -> None:
    """A new person (or a pool, ``fte`` > 1), available from ``from`` to ``to``."""
    if args.id in {s.get("id") for s in target.doc.get("staff", [])}:
        raise _Bad("id", f"staff '{args.id}' already exists")
    for skill in args.skills:
        target.skill(skill, f"skills.{skill}")
    person: Document = {"id": args.id, "fte": args.fte, "skills": dict(args.skills)}
    person |= {"name": args.name} if args.name else {}
    person |= {"cost_per_hour": args.cost_per_hour} if args.cost_per_hour else {}
    if args.start is not None or args.end is not None:
        person["fte_by_period"] = _between(args.fte, *target.window(args), target.horizon)
    target.doc.setdefault("staff", []).append(person)


def _add_capacity(target: _Target, args: AddCapacity) -> None:
    """``fte`` more of one skill at ``level``: a generic pool of that skill."""
    target.skill(args.skill)
    if args.fte == 0:
        return  # nothing to add (a grid's zero point)
    taken = {s.get("id") for s in target.doc.get("staff", [])}
    pool_id = args.id or next(f"extra-{args.skill}-{k}" for k in range(1, len(taken) + 2))
    if pool_id in taken:
        raise _Bad("id", f"staff '{pool_id}' already exists")
    person = AddStaff.model_validate(
        {"id": pool_id, "fte": args.fte, "skills": {args.skill: args.level}}
        | {"cost_per_hour": args.cost_per_hour, "from": args.start, "to": args.end}
    )
    _add_staff(target, person)


def _remove_staff(target: _Target, args: RemoveStaff) -> None:
    """People or pools gone: entirely, or from period ``from`` on."""
    staff = {s.get("id"): s for s in target.doc.get("staff", [])}
    for i, staff_id in enumerate(args.staff):
        if staff_id not in staff:
            raise _Bad(f"staff[{i}]" if len(args.staff) > 1 else "staff", f"unknown staff '{staff_id}'")
    if args.start is None:
        target.doc["staff"] = [s for s in target.doc["staff"] if s.get("id") not in args.staff]
        return
    first = target.period(args.start, "from", 0)
    for staff_id in args.staff:
        person = staff[staff_id]
        person["fte_by_period"] = [
            f if t < first else 0.0 for t, f in enumerate(target.fte_by_period(person))
        ]


def _scale_capacity(target: _Target, args: ScaleCapacity) -> None:
    """Everyone holding ``skill`` (all staff if none is named) at ``factor`` times their FTE."""
    if args.skill is not None:
        target.skill(args.skill)
    first, last = target.window(args)
    whole = (first, last) == (0, target.horizon - 1)
    for person in target.doc.get("staff", []):
        if args.skill is not None and args.skill not in person.get("skills", {}):
            continue
        if whole and person.get("fte_by_period") is None:
            person["fte"] = float(person.get("fte", 1.0)) * args.factor
            continue
        ftes = target.fte_by_period(person)
        person["fte_by_period"] = [f * args.factor if first <= t <= last else f for t, f in enumerate(ftes)]
        if whole:
            person["fte"] = float(person.get("fte", 1.0)) * args.factor


def _set_budget(target: _Target, args: SetBudget) -> None:
    """A new budget total, or every budget figure times ``factor``."""
    if (args.total is None) == (args.factor is None):
        raise _Bad("", "give exactly one of 'total' or 'factor'")
    policy = target.doc.setdefault("policy", {})
    budget = policy.setdefault("budget", {})
    if args.total is not None:
        budget["total"] = args.total
        return
    if not any(budget.get(k) is not None for k in ("total", "by_period", "by_year")):
        raise _Bad("factor", "the scenario has no budget to scale")
    factor = args.factor or 0.0
    if budget.get("total") is not None:
        budget["total"] = budget["total"] * factor
    if budget.get("by_period") is not None:
        budget["by_period"] = [b * factor for b in budget["by_period"]]
    if budget.get("by_year") is not None:
        budget["by_year"] = {year: b * factor for year, b in budget["by_year"].items()}


def _set_max_utilisation(target: _Target, share: float) -> None:
    """The share of each person's capacity that projects may use."""
    target.doc.setdefault("policy", {})["max_utilisation"] = share


def _force_in(target: _Target, ids: list[str]) -> None:
    """Projects that must be in every plan (mandatory)."""
    projects = target.projects_by_id()
    for i, project_id in enumerate(ids):
        if project_id not in projects:
            raise _Bad(f"[{i}]", f"unknown project '{project_id}'")
        projects[project_id]["mandatory"] = True


def _force_out(target: _Target, ids: list[str]) -> None:
    """Projects left out, with every project that depends on them (it could not run either)."""
    projects = target.projects_by_id()
    for i, project_id in enumerate(ids):
        if project_id not in projects:
            raise _Bad(f"[{i}]", f"unknown project '{project_id}'")
    out = set(ids)
    changed = True
    while changed:  # close over dependants
        before = len(out)
        out |= {pid for pid, p in projects.items() if any(_dep_id(d) in out for d in p.get("depends_on", []))}
        changed = len(out) > before
    for pid in sorted(out):
        project = projects[pid]
        if project.get("mandatory") or project.get("start") is not None:
            kind = "mandatory" if project.get("mandatory") else "has a fixed start"
            why = "" if pid in ids else " and depends on a project forced out"
            raise _Bad("", f"project '{pid}' {kind}{why}, so it cannot be left out")
    target.doc["projects"] = [p for p in target.doc["projects"] if p.get("id") not in out]


def _dep_id(dep: Any) -> Any:
    return dep.get("project") if isinstance(dep, dict) else dep


def _fix_start(target: _Target, args: FixStart) -> None:
    """The project starts exactly in this period (and so is in every plan)."""
    project = target.project(args.project)
    target.period(args.start, "start", 0)
    project["start"] = _plain(args.start)


def _shift_start(target: _Target, args: ShiftStart) -> None:
    """A fixed start moved by ``periods``; otherwise the earliest start (and deadline) moved."""
    project = target.project(args.project)
    keys = ["start"] if project.get("start") is not None else ["earliest_start", "latest_finish"]
    for key in keys:
        ref = project.get(key)
        if ref is None and key == "latest_finish":
            continue
        now = target.calendar.resolve(_period_ref(ref)) if ref is not None else 0
        project[key] = now + args.periods
        if not 0 <= project[key] < target.horizon:
            raise _Bad(
                "periods", f"moves {key} of '{args.project}' to period {project[key]}, off the calendar"
            )


def _set_weights(target: _Target, weights: dict[str, float]) -> None:
    """Driver weights (which priorities are computed from)."""
    drivers = {d.get("id"): d for d in target.doc.get("drivers", [])}
    for driver_id, weight in weights.items():
        if driver_id not in drivers:
            raise _Bad(driver_id, f"unknown driver '{driver_id}'")
        drivers[driver_id]["weight"] = weight


def _set_priority(target: _Target, priorities: dict[str, float]) -> None:
    """Given priorities for projects (instead of the driver-weighted scores)."""
    projects = target.projects_by_id()
    for project_id, priority in priorities.items():
        if project_id not in projects:
            raise _Bad(project_id, f"unknown project '{project_id}'")
        projects[project_id]["priority"] = priority


def _chosen(target: _Target, args: ScaleProjects) -> list[Document]:
    if args.projects is None:
        return list(target.doc.get("projects", []))
    for i, project_id in enumerate(args.projects):
        target.project(project_id, f"projects[{i}]")
    projects = target.projects_by_id()
    return [projects[pid] for pid in args.projects]


def _scale_demand(target: _Target, args: ScaleProjects) -> None:
    """Projects' demand (of one skill, or all) times ``factor``."""
    if args.skill is not None:
        target.skill(args.skill)
    for project in _chosen(target, args):
        for phase in project.get("phases", []):
            for demand in phase.get("demand", []):
                if args.skill is None or demand.get("skill") == args.skill:
                    for key in ("fte", "hours"):
                        if demand.get(key) is not None:
                            demand[key] = demand[key] * args.factor


def _scale_value(target: _Target, args: ScaleProjects) -> None:
    """Projects' value times ``factor``."""
    if args.skill is not None:
        raise _Bad("skill", "scale_value takes no skill")
    for project in _chosen(target, args):
        project["value"] = float(project.get("value", 0.0)) * args.factor


def _plain(ref: Any) -> Any:
    return ref.isoformat() if isinstance(ref, dt.date) else ref


def _period_ref(ref: Any) -> PeriodRef:
    return TypeAdapter(PeriodRef).validate_python(ref)


Share = Annotated[float, Field(gt=0, le=1)]
Weights = dict[str, Annotated[float, Field(ge=0)]]
_IdList = Annotated[list[str], Field(min_length=1)]

CHANGES: dict[str, tuple[Any, Callable[..., None]]] = {
    "add_staff": (AddStaff, _add_staff),
    "add_capacity": (AddCapacity, _add_capacity),
    "remove_staff": (RemoveStaff, _remove_staff),
    "scale_capacity": (ScaleCapacity, _scale_capacity),
    "set_budget": (SetBudget, _set_budget),
    "set_max_utilisation": (Share, _set_max_utilisation),
    "force_in": (_IdList, _force_in),
    "force_out": (_IdList, _force_out),
    "fix_start": (FixStart, _fix_start),
    "shift_start": (ShiftStart, _shift_start),
    "set_weights": (Weights, _set_weights),
    "set_priority": (Weights, _set_priority),
    "scale_demand": (ScaleProjects, _scale_demand),
    "scale_value": (ScaleProjects, _scale_value),
}


def apply_change(target: _Target, change: Any, path: str) -> list[Problem]:
    """Apply one change in place; the problems it has (none if it applied)."""
    if not isinstance(change, dict) or len(change) != 1:
        return [
            Problem(path, "a change is a mapping with one key, its kind (e.g. {set_budget: {total: 5e6}})")
        ]
    ((kind, raw),) = change.items()
    if kind not in CHANGES:
        return [Problem(path, f"unknown change '{kind}' (choose from {', '.join(CHANGES)})")]
    model, apply = CHANGES[kind]
    if kind in ("force_in", "force_out"):
        raw = listed(raw)
    try:
        args = TypeAdapter(model).validate_python(raw)
        apply(target, args)
    except ValidationError as exc:
        return problems_from(exc, f"{path}.{kind}")
    except _Bad as bad:
        return [Problem(join_path(f"{path}.{kind}", _parts(bad.where)), bad.message)]
    return []


def _parts(where: str) -> list[int | str]:
    parts: list[int | str] = []
    for piece in where.replace("[", ".[").split("."):
        if piece.startswith("[") and piece.endswith("]") and piece[1:-1].isdigit():
            parts.append(int(piece[1:-1]))
        elif piece:
            parts.append(piece)
    return parts


def apply_variant(base: Document, variant: Variant) -> Document:
    """The complete, validated scenario the variant gives; :class:`ScenarioError` naming it if bad."""
    path = f"variants.{variant.name}"
    doc = plain_document(base)
    try:
        target = _Target(doc)
    except ValidationError as exc:
        raise ScenarioError(problems_from(exc, "calendar")) from exc
    problems: list[Problem] = []
    for i, change in enumerate(variant.changes):
        problems += apply_change(target, change, f"{path}.changes[{i}]")
    if problems:
        raise ScenarioError(problems)
    _, found = validate(doc)
    errors = [p for p in found if p.severity == "error"]
    if errors:
        raise ScenarioError([Problem(path, f"gives an invalid scenario: {p}") for p in errors])
    return doc


def plain_document(doc: Any) -> Any:
    """A deep copy holding only JSON types (YAML dates become ISO strings)."""
    return json.loads(json.dumps(copy.deepcopy(doc), default=_iso))


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
