"""Realistic random portfolios in the scenario format (``FORMAT.md``), for benchmarks and tests.

``generate(size, seed)`` returns a plain scenario dict. The same size, seed and options
always give the same scenario. What makes the portfolios realistic rather than uniform:

* skills have skewed supply: a few generalist skills are common, specialists (clinical
  safety, cyber, architecture, ...) are held by few people, and demand for them is
  proportionally higher, so they become the bottlenecks;
* staff hold 1-3 skills at levels skewed to 2-3, most are full time, a few are part time,
  take leave in one- and two-week blocks, or join or leave mid-horizon; ~3% are
  generic pools (``fte`` 2-10);
* projects have 1-4 phases, each needing 2-5 skills, some at a minimum level; value grows
  with size (lognormal noise); a few are mandatory or already in flight (fixed start);
* total demand is scaled to ``demand_ratio`` times the capacity available to projects
  (after ``max_utilisation``), and the budget to ``budget_ratio`` times total cost.

Guarantees (checked by ``tests/test_generator.py``): ids are unique and references valid,
dependencies run from lower to higher project index (so no cycles), every window holds
its project and its dependency chain, every demanded (skill, min_level) is held by
someone, and the mandatory and fixed-start projects, placed at their earliest starts,
use at most ``FORCED_LOAD_LIMIT`` of each skill's capacity in every period (each
person's capacity split evenly across their skills, which makes them jointly feasible),
and their cost fits the budget.

Run ``python benchmarks/generator.py M --seed 1 -o /tmp/m.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Dates = npt.NDArray[np.datetime64]
Leave = tuple[IntArray, Dates, Dates]  # owner index, first day, last day (inclusive)


@dataclass(frozen=True)
class Size:
    """How big a generated portfolio is."""

    projects: int
    staff: int
    skills: int
    periods: int


SIZES = {
    "S": Size(projects=30, staff=60, skills=10, periods=26),
    "M": Size(150, 400, 20, 52),
    "L": Size(500, 2000, 30, 104),
    "XL": Size(2000, 10000, 30, 104),
}

START = {"week": "2027-04-05", "month": "2027-04-01"}  # a Monday; the first of a month
FTE_HOURS = {"week": 37.5, "month": 162.5}  # 37.5 h/week * 52 / 12 for months
MAX_UTILISATION = 0.85
FORCED_LOAD_LIMIT = 0.35  # share of split capacity mandatory + fixed work may take
LIGHT = 0.5  # forced-work candidates are half the size of other projects...
LIGHT_CAP = 0.15  # ...and no demand of theirs takes more than this share of its skill/level
DEMAND_CAP = 0.8  # no single demand takes more than this share of its skill/level
LEVEL_P = {"first": [0.08, 0.32, 0.36, 0.17, 0.07], "other": [0.3, 0.4, 0.2, 0.08, 0.02]}

# id, name, team, relative supply (low = scarce specialist)
SKILLS = [
    ("pm", "Project management", "PMO", 0.7),
    ("ba", "Business analysis", "Digital", 1.0),
    ("dev", "Software development", "Digital", 1.3),
    ("train", "Training", "Education", 0.7),
    ("bi", "Data and business intelligence", "Informatics", 0.7),
    ("infra", "Infrastructure", "Infrastructure", 0.9),
    ("test", "Testing and assurance", "Digital", 0.6),
    ("change", "Change management", "Transformation", 0.6),
    ("cso", "Clinical safety officer", "Clinical", 0.08),
    ("cyber", "Cyber security", "Infrastructure", 0.1),
    ("arch", "Solution architecture", "Digital", 0.15),
    ("ig", "Information governance", "Governance", 0.15),
    ("integ", "Integration engineering", "Digital", 0.25),
    ("dba", "Database administration", "Infrastructure", 0.2),
    ("ux", "User research and design", "Digital", 0.2),
    ("proc", "Procurement", "Finance", 0.25),
    ("fin", "Finance business partnering", "Finance", 0.3),
    ("comms", "Communications and engagement", "Transformation", 0.3),
    ("qi", "Quality improvement", "Transformation", 0.3),
    ("ci", "Clinical informatics", "Clinical", 0.15),
    ("de", "Data engineering", "Informatics", 0.25),
    ("ds", "Data science", "Informatics", 0.1),
    ("sd", "Service desk", "Infrastructure", 0.6),
    ("net", "Network engineering", "Infrastructure", 0.3),
    ("cloud", "Cloud engineering", "Infrastructure", 0.2),
    ("estates", "Estates and facilities", "Estates", 0.3),
    ("hr", "Workforce and HR", "Workforce", 0.3),
    ("benefits", "Benefits realisation", "PMO", 0.2),
    ("pharm", "Pharmacy informatics", "Clinical", 0.1),
    ("rad", "Radiology informatics", "Clinical", 0.1),
]
FIRST = (  # noqa: SIM905 - compact word list
    "Priya Oluwaseun Siobhan Gareth Fatima Tomasz Grace Rhys Aisha Callum Anjali Joy Hannah "
    "Mohammed Chloe Kwame Eilidh Raj Bogdan Nia Daniel Mei Sarah Adebayo Zainab Liam Roisin "
    "Deepak Emma Yusuf Olivia Marcus Helen Imran Bernadette Kofi Lucy Ravi Agnieszka Jade "
    "Tariq Catherine Samuel Pooja James Ewa Amir Beth Chen Dana Eli Fola Gita Hugh Niamh Owen"
).split()
LAST = (  # noqa: SIM905 - compact word list
    "Sharma Adeyemi Murphy Evans Hussain Kowalski Mensah Morgan Begum MacLeod Menon Okonkwo "
    "Clarke Iqbal Davies Asante Fraser Patel Ionescu Williams O'Connor Wong Thompson Ogunleye "
    "Ali Hughes Kelly Nair Wilson Rahman Bennett Campbell Carter Qureshi Flynn Boateng Turner "
    "Chandran Nowak Robinson Mahmood Lloyd Osei Desai Whitfield Zielinska Okafor Li Byrne Novak"
).split()
TOPICS = (  # noqa: SIM905 - compact word list
    "EPR|e-prescribing|PACS|digital dictation|patient portal|virtual wards|e-rostering|"
    "theatre scheduling|sepsis alerting|LIMS|network|Windows 11|cyber essentials|"
    "shared care record|bed management|outpatient booking|e-observations|order comms|"
    "maternity system|data warehouse|RPA|clinical coding|Teams telephony|discharge summaries|"
    "community mobile working|pharmacy stock control|ED triage|waiting list validation|"
    "adult social care case management|council tax self-service|digital front door|"
    "care home data sharing|single sign-on|records digitisation|population health analytics"
).split("|")
VARIANTS = ["upgrade", "replacement", "roll-out", "optimisation", "phase 2", "pilot", "integration"]
SITES = ["main site", "community", "north", "south", "all wards", "ICS-wide", "acute", "council"]
PHASE_NAMES = {
    1: ["Delivery"],
    2: ["Plan", "Deliver"],
    3: ["Discovery", "Build and test", "Go-live"],
    4: ["Discovery", "Design", "Build and test", "Roll-out"],
}
DRIVERS = [
    {"id": "safety", "name": "Patient safety and quality", "weight": 0.4},
    {"id": "finance", "name": "Financial sustainability", "weight": 0.25},
    {"id": "performance", "name": "Operational performance", "weight": 0.25},
    {"id": "staff", "name": "Staff experience", "weight": 0.1},
]
ORGS = ["north-trust", "south-trust", "city-council"]


@dataclass
class _Calendar:
    periods: int
    fte_hours: float
    starts: Dates  # first day of each period
    ends: Dates  # last day of each period (inclusive)


@dataclass
class _Staff:
    levels: npt.NDArray[np.int64]  # (staff, skills), 0 = not held
    fte: FloatArray
    fte_by_period: dict[int, list[float]]
    pool: npt.NDArray[np.bool_]
    leave: Leave
    capacity: FloatArray  # (staff, periods) hours available to projects
    split: FloatArray  # (5, skills, periods) capacity at level >= l+1, split across skills


@dataclass
class _Demand:
    """One row per (project, phase, skill): flat arrays so scaling is vectorised."""

    project: IntArray
    offset: IntArray  # first period of the phase, relative to the project start
    periods: IntArray
    skill: IntArray
    level: IntArray  # min_level, 1 when unrestricted
    hours: FloatArray  # per period
    as_hours: npt.NDArray[np.bool_]  # written as "hours" rather than "fte"


def _calendar(period: str, periods: int) -> _Calendar:
    """Period boundaries as numpy dates (weeks of 7 days, or calendar months)."""
    if period not in START:
        raise ValueError(f"period must be 'week' or 'month', not {period!r}")
    if period == "week":
        starts = np.datetime64(START[period], "D") + 7 * np.arange(periods + 1)
    else:
        starts = (np.datetime64(START[period], "M") + np.arange(periods + 1)).astype("M8[D]")
    return _Calendar(periods, FTE_HOURS[period], starts[:-1], starts[1:] - 1)


def _skill_table(num: int, rng: np.random.Generator) -> tuple[list[tuple[str, str, str]], FloatArray]:
    """Skill (id, name, team) rows and their relative supply, perturbed per seed."""
    rows = [(s, n, t) for s, n, t, _ in SKILLS[:num]]
    supply = [w for *_, w in SKILLS[:num]]
    for k in range(len(rows), num):  # beyond the catalogue: generic, mostly scarce
        rows.append((f"skill{k + 1}", f"Specialist skill {k + 1}", "Digital"))
        supply.append(float(rng.lognormal(np.log(0.15), 0.5)))
    return rows, np.asarray(supply) * rng.lognormal(0.0, 0.25, num)


def _staff_levels(n: int, num_skills: int, supply: FloatArray, rng: np.random.Generator) -> IntArray:
    """1-3 skills per person drawn by supply (Gumbel top-k), levels skewed to 2-3."""
    keys = np.log(supply)[None, :] + rng.gumbel(size=(n, num_skills))
    order = np.argsort(-keys, axis=1)
    cover = min(n, num_skills)  # the first people guarantee every skill has a holder
    own = np.arange(cover)[:, None]
    swapped = np.where(order[:cover] == own, order[:cover, :1], order[:cover])  # keep a permutation
    swapped[:, :1] = own
    order[:cover] = swapped
    count = np.minimum(rng.choice([1, 2, 3], size=n, p=[0.45, 0.35, 0.2]), num_skills)
    levels = np.zeros((n, num_skills), dtype=np.int64)
    rank = np.arange(num_skills)[None, :]
    first = rng.choice(np.arange(1, 6), size=n, p=LEVEL_P["first"])[:, None]
    other = rng.choice(np.arange(1, 6), size=(n, num_skills), p=LEVEL_P["other"])
    ranked = np.where(rank == 0, first, np.minimum(other, first))  # secondary skills weaker
    np.put_along_axis(levels, order, np.where(rank < count[:, None], ranked, 0), axis=1)
    return levels


def _leave_blocks(n: int, pool: npt.NDArray[np.bool_], cal: _Calendar, rng: np.random.Generator) -> Leave:
    """0-3 blocks of one or two working weeks per person (pools take none)."""
    blocks = rng.choice([0, 1, 2, 3], size=n, p=[0.25, 0.35, 0.3, 0.1])
    short = cal.ends[-1] - cal.starts[0] < np.timedelta64(42, "D")  # under 6 weeks: no leave
    per_person = np.where(pool | short, 0, blocks)
    owner = np.repeat(np.arange(n), per_person)
    weeks = rng.choice([1, 2], size=owner.size, p=[0.6, 0.4])
    first_monday = np.busday_offset(cal.starts[0], 0, roll="forward", weekmask="Mon")
    span = max(1, int((cal.ends[-1] - first_monday).astype(int)) // 7 - 1)
    begin = first_monday + 7 * rng.integers(0, span, size=owner.size)
    end = np.minimum(begin + 7 * weeks - 3, cal.ends[-1])  # Friday of the last week
    return owner, begin, end


def _fte_changes(
    fte: FloatArray, pool: npt.NDArray[np.bool_], periods: int, rng: np.random.Generator
) -> dict[int, list[float]]:
    """About 1% of people join, leave, or return part time mid-horizon."""
    chosen = np.flatnonzero(~pool & (rng.random(fte.size) < 0.01))
    changes: dict[int, list[float]] = {}
    for i in chosen.tolist():
        cut = int(rng.integers(1, periods))
        before, after = [(0.0, fte[i]), (fte[i], 0.0), (0.0, 0.8)][int(rng.integers(3))]
        changes[i] = [float(before)] * cut + [float(after)] * (periods - cut)
    return changes


def _capacity(
    staff_fte: FloatArray, changes: dict[int, list[float]], leave: Leave, cal: _Calendar
) -> FloatArray:
    """Hours per person per period after leave (pro rata by working days) and utilisation."""
    fte = np.repeat(staff_fte[:, None], cal.periods, axis=1)
    for i, row in changes.items():
        fte[i] = row
    owner, begin, end = leave
    workdays = np.busday_count(cal.starts, cal.ends + 1).astype(float)
    lo = np.maximum(begin[:, None], cal.starts[None, :])
    hi = np.minimum(end[:, None], cal.ends[None, :]) + 1
    off = np.zeros_like(fte)
    np.add.at(off, owner, np.where(hi > lo, np.busday_count(lo, np.maximum(hi, lo)), 0))
    share_on_leave = np.minimum(off / workdays[None, :], 1.0)
    return fte * cal.fte_hours * (1.0 - share_on_leave) * MAX_UTILISATION


def _make_staff(n: int, supply: FloatArray, cal: _Calendar, rng: np.random.Generator) -> _Staff:
    """Named people and a few generic pools, with their capacity per period."""
    num_skills = supply.size
    pool = np.zeros(n, dtype=bool)
    pool[n - round(0.03 * n) :] = True
    levels = _staff_levels(n, num_skills, supply, rng)
    single = np.argmax(levels, axis=1)  # pools keep one skill at a solid level
    levels[pool] = 0
    levels[pool, single[pool]] = rng.choice([2, 3, 4], size=int(pool.sum()), p=[0.3, 0.5, 0.2])
    fte = rng.choice([1.0, 0.8, 0.6, 0.5, 0.4], size=n, p=[0.62, 0.14, 0.1, 0.08, 0.06])
    fte[pool] = rng.integers(2, 11, size=int(pool.sum()))
    changes = _fte_changes(fte, pool, cal.periods, rng)
    leave = _leave_blocks(n, pool, cal, rng)
    capacity = _capacity(fte, changes, leave, cal)
    held = (levels > 0).astype(float)
    share = held / held.sum(axis=1, keepdims=True)
    split = np.stack([((levels >= lv) * share).T @ capacity for lv in range(1, 6)])
    return _Staff(levels, fte, changes, pool, leave, capacity, split)


def _phase_lengths(periods: int, rng: np.random.Generator) -> list[int]:
    """1-4 phases of 1-12 periods, at most 40% of the horizon in total."""
    longest = max(1, int(0.4 * periods))
    count = min(int(rng.choice([1, 2, 3, 4], p=[0.15, 0.35, 0.3, 0.2])), longest)
    typical = np.log(max(1.0, 0.14 * periods))
    lengths = np.clip(np.rint(rng.lognormal(typical, 0.5, count)), 1, 12).astype(int)
    while lengths.sum() > longest:
        lengths[np.argmax(lengths)] -= 1
    return [int(x) for x in lengths]


def _deepest_levels(split: FloatArray) -> IntArray:
    """Per skill, the highest min_level worth asking for.

    That is the highest level held by someone in every period and keeping at least a
    quarter of the skill's capacity.
    """
    ok = (split.min(axis=2) > 0) & (split.mean(axis=2) >= 0.25 * split[0].mean(axis=1))
    return np.maximum(np.cumprod(ok, axis=0).sum(axis=0), 1)


def _make_demand(
    num_projects: int, staff: _Staff, cal: _Calendar, rng: np.random.Generator
) -> tuple[list[list[int]], _Demand]:
    """Phases and raw (unscaled) skill demands; skills drawn much flatter than supply."""
    capacity = staff.split[0].sum(axis=1)
    held = np.flatnonzero(capacity > 0)
    if held.size == 0:
        raise ValueError("the staff have no capacity in the horizon; use more staff or periods")
    weight = capacity[held] ** 0.5
    weight /= weight.sum()
    top = _deepest_levels(staff.split)
    phases: list[list[int]] = []
    rows: list[tuple[int, int, int, int, int]] = []
    for p in range(num_projects):
        lengths = _phase_lengths(cal.periods, rng)
        phases.append(lengths)
        for offset, length in zip(np.cumsum([0, *lengths[:-1]]).tolist(), lengths, strict=True):
            k = min(int(rng.integers(2, 6)), held.size)
            chosen = rng.choice(held, size=k, replace=False, p=weight).tolist()
            if held[0] == 0 and 0 not in chosen and rng.random() < 0.6:
                chosen[-1] = 0  # most phases need some project management (skill 0, "pm")
            for s in chosen:
                level = min(int(rng.integers(2, 5)), int(top[s])) if rng.random() < 0.2 else 1
                rows.append((p, offset, length, s, level))
    cols = np.array(rows, dtype=np.int64).reshape(-1, 5).T
    # project scale (a few big programmes, many small projects) times per-demand noise
    scale = rng.lognormal(0.0, 0.6, num_projects)[cols[0]]
    raw = np.clip(scale * rng.lognormal(np.log(0.5), 0.4, cols.shape[1]), 0.1, 1.5) * cal.fte_hours
    as_hours = rng.random(cols.shape[1]) < 0.1
    return phases, _Demand(cols[0], cols[1], cols[2], cols[3], cols[4], raw, as_hours)


def _scale_demand(demand: _Demand, staff: _Staff, ratio: float, light: npt.NDArray[np.bool_]) -> None:
    """Scale hours so each skill's demand is ratio x its capacity, more for scarce skills.

    Scarce skills get a multiplier up to 2.5 (common ones down to 0.5), normalised so
    the total stays ratio x total capacity. Rows of ``light`` projects (the candidates
    for in-flight and mandatory work) are smaller (LIGHT, LIGHT_CAP), so that enough of
    them fit together. No demand may exceed DEMAND_CAP of the (split)
    capacity at its level, so every project can run on its own; hours clipped off go to
    the other demands for the same skill or, if none can grow, to the other skills.
    """
    capacity = staff.split[0].sum(axis=1)
    num = capacity.size
    periods = demand.periods  # totals count every period a demand runs
    raw = np.bincount(demand.skill, weights=demand.hours * periods, minlength=num)
    used = raw > 0
    mult = np.zeros(num)
    mult[used] = np.clip((capacity[used] / capacity[used].mean()) ** -0.3, 0.5, 2.5)
    target = ratio * capacity * mult * capacity.sum() / (capacity * mult).sum()
    at_level = staff.split[demand.level - 1, demand.skill].mean(axis=1)
    limit = DEMAND_CAP * at_level
    hours = demand.hours * np.divide(target, raw, out=np.zeros(num), where=used)[demand.skill]
    hours = np.where(light, np.minimum(LIGHT * hours, LIGHT_CAP * at_level), hours)
    for _ in range(8):
        hours = np.minimum(hours, limit)
        frozen = light | (hours >= limit * (1 - 1e-9))
        fixed = np.bincount(demand.skill, weights=hours * periods * frozen, minlength=num)
        free = np.bincount(demand.skill, weights=hours * periods * ~frozen, minlength=num)
        can_grow = free > 0
        if not can_grow.any():
            break
        stuck = np.sum(np.maximum(target - fixed, 0)[~can_grow & used])
        target = np.where(can_grow, target * (1 + stuck / target[can_grow].sum()), fixed)
        grow = np.divide(np.maximum(target - fixed, 0), free, out=np.ones(num), where=can_grow)
        hours = np.where(frozen, hours, hours * grow[demand.skill])
    demand.hours = np.minimum(hours, limit)


def _round_demand(demand: _Demand, fte_hours: float) -> None:
    """Round to what the JSON will say: small amounts in hours, the rest in fte."""
    demand.as_hours |= demand.hours < 0.2 * fte_hours
    as_fte = np.maximum(np.round(demand.hours / fte_hours, 2), 0.01) * fte_hours
    as_hours = np.maximum(np.round(demand.hours, 1), 1.0)
    demand.hours = np.where(demand.as_hours, as_hours, as_fte)


@dataclass
class _Plan:
    """Per-project flags, windows and dependencies, before they become JSON."""

    length: IntArray
    earliest: IntArray  # earliest_start period (0 when not given)
    has_earliest: npt.NDArray[np.bool_]
    latest: IntArray  # last period the project may be active in (periods - 1 when not given)
    has_latest: npt.NDArray[np.bool_]
    start: IntArray  # fixed start period, -1 when none
    mandatory: npt.NDArray[np.bool_]
    depends: list[list[tuple[int, int]]]  # (predecessor index, lag)


def _make_plan(phases: list[list[int]], periods: int, rng: np.random.Generator) -> _Plan:
    """Start and finish windows on a quarter of projects each; no flags or dependencies yet."""
    n = len(phases)
    length = np.array([sum(p) for p in phases], dtype=np.int64)
    has_earliest = rng.random(n) < 0.25
    earliest = (rng.random(n) * (periods - length + 1) * 0.7).astype(np.int64) * has_earliest
    has_latest = rng.random(n) < 0.25
    room = (rng.random(n) * (periods - earliest - length + 1)).astype(np.int64)
    latest = np.where(has_latest, earliest + length - 1 + room, periods - 1)
    start = np.full(n, -1, dtype=np.int64)
    mandatory = np.zeros(n, dtype=bool)
    return _Plan(length, earliest, has_earliest, latest, has_latest, start, mandatory, [[] for _ in range(n)])


def _choose_forced(
    plan: _Plan,
    demand: _Demand,
    staff: _Staff,
    order: IntArray,
    want: dict[str, int],
    rng: np.random.Generator,
) -> None:
    """Flag in-flight (fixed-start) and mandatory projects, in random order, while they fit.

    Candidates come in ``order``. Each is placed where it will run (in flight: one of
    the first three periods; mandatory: its earliest start) and kept only if every
    skill, at every level, stays within FORCED_LOAD_LIMIT of split capacity in every
    period; otherwise the next candidate is tried.
    """
    n, periods = plan.length.size, staff.split.shape[2]
    load = np.zeros_like(staff.split)
    limit = FORCED_LOAD_LIMIT * staff.split + 1e-9
    rows = np.argsort(demand.project, kind="stable")
    bounds = np.searchsorted(demand.project[rows], np.arange(n + 1))
    for p in order.tolist():
        early = min(int(rng.integers(0, 3)), periods - int(plan.length[p]))
        for role in sorted((r for r in want if want[r] > 0), key=lambda r: -want[r]):
            begin = early if role == "fixed" else int(plan.earliest[p])
            if _add_load(load, limit, demand, rows[bounds[p] : bounds[p + 1]], begin):
                want[role] -= 1
                if role == "mandatory":
                    plan.mandatory[p] = True
                else:  # in flight: the start is the window
                    plan.start[p], plan.earliest[p], plan.latest[p] = begin, 0, periods - 1
                    plan.has_earliest[p] = plan.has_latest[p] = False
                break
        if not any(want.values()):
            break


def _pick_dependencies(plan: _Plan, share: float, rng: np.random.Generator) -> None:
    """Give ``share`` of projects one (sometimes two) nearby earlier predecessors, lag 0-2.

    In-flight work depends on nothing; mandatory work only on forced work that finishes
    before its earliest start, so its placement in ``_choose_forced`` still holds.
    """
    forced = (plan.start >= 0) | plan.mandatory
    finish = np.where(plan.start >= 0, plan.start, plan.earliest) + plan.length
    for j in range(1, plan.length.size):
        if plan.start[j] >= 0 or rng.random() >= share:
            continue
        pool = np.arange(max(0, j - 30), j)
        chosen = rng.choice(pool, size=min(pool.size, 1 if rng.random() < 0.8 else 2), replace=False)
        lags = rng.choice([0, 1, 2], size=chosen.size, p=[0.6, 0.25, 0.15])
        pairs = [(int(q), int(lag)) for q, lag in sorted(zip(chosen.tolist(), lags.tolist(), strict=True))]
        if plan.mandatory[j]:
            pairs = [(q, lag) for q, lag in pairs if forced[q] and finish[q] + lag <= plan.earliest[j]]
        plan.depends[j] = pairs


def _settle(plan: _Plan) -> None:
    """Drop dependencies that would push a project past its deadline (index order)."""
    finish = np.zeros_like(plan.length)
    for p in range(plan.length.size):
        finish[p] = _fit_predecessors(plan, p, finish) + plan.length[p]


def _fit_predecessors(plan: _Plan, p: int, finish: IntArray) -> int:
    """Earliest start after predecessors, dropping any that would break the deadline."""
    if plan.start[p] >= 0:
        return int(plan.start[p])
    last_start = plan.latest[p] + 1 - plan.length[p]
    plan.depends[p] = [(q, lag) for q, lag in plan.depends[p] if finish[q] + lag <= last_start]
    return max([int(plan.earliest[p])] + [int(finish[q]) + lag for q, lag in plan.depends[p]])


def _add_load(load: FloatArray, limit: FloatArray, demand: _Demand, rows: IntArray, begin: int) -> bool:
    """Add one project's demand at ``begin`` if it stays within the limit; else leave load as is."""
    trial = load.copy()
    for r in rows.tolist():
        t = begin + int(demand.offset[r])
        trial[: demand.level[r], demand.skill[r], t : t + demand.periods[r]] += demand.hours[r]
    if np.any(trial > limit):
        return False
    load[...] = trial
    return True


def _iso(days: Dates) -> list[str]:
    return [str(d) for d in np.datetime_as_string(days, unit="D")]


def _staff_json(
    staff: _Staff,
    skills: list[tuple[str, str, str]],
    orgs: list[str],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """People and pools as scenario staff entries."""
    n = staff.fte.size
    width = len(str(n))
    first = rng.choice(FIRST, size=n).tolist()
    last = rng.choice(LAST, size=n).tolist()
    org = rng.choice(orgs, size=n).tolist()
    top = staff.levels.max(axis=1)
    cost = np.where(staff.pool, rng.uniform(55, 90, n), np.clip(22 + 9 * top + rng.normal(0, 4, n), 25, 90))
    owner, begin, end = staff.leave
    leave: list[list[dict[str, str]]] = [[] for _ in range(n)]
    for i, a, b in zip(owner.tolist(), _iso(begin), _iso(end), strict=True):
        leave[i].append({"from": a, "to": b})
    out: list[dict[str, Any]] = []
    for i in range(n):
        held = np.flatnonzero(staff.levels[i])
        main = int(held[np.argmax(staff.levels[i, held])])
        entry: dict[str, Any] = {
            "id": f"s{i + 1:0{width}d}",
            "name": f"{skills[main][1]} pool (call-off)" if staff.pool[i] else f"{first[i]} {last[i]}",
            "org": org[i],
            "team": "Suppliers" if staff.pool[i] else skills[main][2],
            "fte": float(staff.fte[i]),
            "skills": {skills[s][0]: int(staff.levels[i, s]) for s in held.tolist()},
            "cost_per_hour": round(float(cost[i]), 2),
        }
        if leave[i]:
            entry["leave"] = leave[i]
        if i in staff.fte_by_period:
            entry["fte_by_period"] = staff.fte_by_period[i]
        out.append(entry)
    return out


def _demand_json(
    demand: _Demand, rows: IntArray, skills: list[tuple[str, str, str]], fte_hours: float
) -> list[dict[str, Any]]:
    """One phase's demand entries: ``fte`` or ``hours``, and ``min_level`` when above 1."""
    out: list[dict[str, Any]] = []
    for r in rows.tolist():
        item: dict[str, Any] = {"skill": skills[demand.skill[r]][0]}
        if demand.as_hours[r]:
            item["hours"] = round(float(demand.hours[r]), 1)
        else:
            item["fte"] = round(float(demand.hours[r]) / fte_hours, 2)
        if demand.level[r] > 1:
            item["min_level"] = int(demand.level[r])
        out.append(item)
    return out


def _money(
    size_hours: FloatArray, per_hour: float, sigma: float, floor: float, rng: np.random.Generator
) -> FloatArray:
    """Lognormal amounts proportional to project size, rounded to the nearest 1,000."""
    amount = size_hours * per_hour * rng.lognormal(0.0, sigma, size_hours.size)
    return np.maximum(np.round(amount, -3), floor)


def _projects_json(
    phases: list[list[int]],
    demand: _Demand,
    plan: _Plan,
    skills: list[tuple[str, str, str]],
    orgs: list[str],
    cal: _Calendar,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Projects with phases, demand, money, scores, windows, flags and dependencies."""
    n = len(phases)
    width = len(str(n))
    size_hours = np.bincount(demand.project, weights=demand.hours * demand.periods, minlength=n).astype(float)
    value, cost = _money(size_hours, 150.0, 0.5, 10_000, rng), _money(size_hours, 40.0, 0.7, 5_000, rng)
    delay = np.where(rng.random(n) < 0.2, np.round(value * rng.uniform(0.005, 0.03, n), -2), 0)
    scores = rng.integers(0, 6, size=(n, len(DRIVERS)))
    dropped = np.where(rng.random(n) < 0.5, rng.integers(0, len(DRIVERS), n), -1)  # 3 or 4 drivers
    rows = np.argsort(demand.project, kind="stable")
    bounds = np.searchsorted(demand.project[rows], np.arange(n + 1))
    starts, ends = _iso(cal.starts), _iso(cal.ends)
    out: list[dict[str, Any]] = []
    for p in range(n):
        topic, variant = TOPICS[rng.integers(len(TOPICS))], VARIANTS[rng.integers(len(VARIANTS))]
        site = f" - {SITES[rng.integers(len(SITES))]}" if rng.random() < 0.5 else ""
        entry: dict[str, Any] = {
            "id": f"p{p + 1:0{width}d}",
            "name": f"{topic[0].upper()}{topic[1:]} {variant}{site}",
            "org": orgs[int(rng.integers(len(orgs)))],
            "value": int(value[p]),
            "cost": int(cost[p]),
            "scores": {d["id"]: int(scores[p, k]) for k, d in enumerate(DRIVERS) if k != dropped[p]},
        }
        if plan.mandatory[p]:
            entry["mandatory"] = True
        if plan.start[p] >= 0:
            entry["start"] = int(plan.start[p])
        if plan.has_earliest[p]:
            entry["earliest_start"] = starts[plan.earliest[p]]
        if plan.has_latest[p]:
            entry["latest_finish"] = ends[plan.latest[p]]
        if delay[p] > 0:
            entry["cost_of_delay"] = int(delay[p])
        if plan.depends[p]:
            entry["depends_on"] = [
                out[q]["id"] if lag == 0 else {"project": out[q]["id"], "lag": lag}
                for q, lag in plan.depends[p]
            ]
        mine = rows[bounds[p] : bounds[p + 1]]
        offsets = np.cumsum([0, *phases[p][:-1]]).tolist()
        entry["phases"] = [
            {
                "name": name,
                "periods": length,
                "demand": _demand_json(demand, mine[demand.offset[mine] == offset], skills, cal.fte_hours),
            }
            for name, length, offset in zip(PHASE_NAMES[len(phases[p])], phases[p], offsets, strict=True)
        ]
        out.append(entry)
    return out


def _budget(projects: list[dict[str, Any]], ratio: float) -> int:
    """ratio x total cost, but always room for the forced projects (x 1.2)."""
    total = sum(p["cost"] for p in projects)
    forced = sum(p["cost"] for p in projects if p.get("mandatory") or "start" in p)
    return int(np.ceil(max(ratio * total, 1.2 * forced) / 1000) * 1000)


def _resolve(size: Size | str) -> tuple[str, Size]:
    """A size name or Size -> (label, Size), refusing unknown names and empty sizes."""
    if isinstance(size, str):
        if size not in SIZES:
            raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
        return size, SIZES[size]
    if min(size.projects, size.staff, size.skills) < 1 or size.periods < 2:
        raise ValueError(f"size too small: {size}")
    return "custom", size


def generate(
    size: Size | str,
    seed: int = 0,
    *,
    demand_ratio: float = 1.7,
    budget_ratio: float = 0.6,
    mandatory_share: float = 0.05,
    fixed_share: float = 0.05,
    dependency_share: float = 0.15,
    period: str = "week",
) -> dict[str, Any]:
    """Generate a realistic random portfolio scenario (a plain dict in FORMAT.md).

    Parameters
    ----------
    size
        A key of ``SIZES`` ("S", "M", "L", "XL") or a ``Size``.
    seed
        Everything random comes from ``numpy.random.default_rng(seed)``.
    demand_ratio
        Total demand hours over total capacity hours available to projects.
    budget_ratio
        Budget over the total non-labour cost of all projects.
    mandatory_share, fixed_share
        Target shares of mandatory and in-flight (fixed-start) projects; flags whose work
        would not fit comfortably (``FORCED_LOAD_LIMIT``) are dropped.
    dependency_share
        Share of projects that depend on an earlier one.
    period
        "week" or "month".
    """
    label, dims = _resolve(size)
    rng = np.random.default_rng(seed)
    cal = _calendar(period, dims.periods)
    skills, supply = _skill_table(dims.skills, rng)
    staff = _make_staff(dims.staff, supply, cal, rng)
    want = {"fixed": round(fixed_share * dims.projects), "mandatory": round(mandatory_share * dims.projects)}
    order = rng.permutation(dims.projects)  # candidates for forced work first
    light = np.isin(np.arange(dims.projects), order[: 2 * sum(want.values())])
    phases, demand = _make_demand(dims.projects, staff, cal, rng)
    _scale_demand(demand, staff, demand_ratio, light[demand.project])
    _round_demand(demand, cal.fte_hours)
    plan = _make_plan(phases, dims.periods, rng)
    _choose_forced(plan, demand, staff, order, want, rng)
    _pick_dependencies(plan, dependency_share, rng)
    _settle(plan)
    orgs = ORGS[: 1 if dims.projects < 100 else len(ORGS)]
    projects = _projects_json(phases, demand, plan, skills, orgs, cal, rng)
    return {
        "name": f"Synthetic portfolio {label} (seed {seed})",
        "calendar": {
            "start": START[period],
            "period": period,
            "periods": dims.periods,
            "fte_hours": cal.fte_hours,
        },
        "skills": [{"id": s, "name": name} for s, name, _ in skills],
        "staff": _staff_json(staff, skills, orgs, rng),
        "projects": projects,
        "drivers": [dict(d) for d in DRIVERS],
        "policy": {
            "objective": "value",
            "budget": {"total": _budget(projects, budget_ratio)},
            "max_utilisation": MAX_UTILISATION,
            "time_limit_s": 30 if dims.projects <= 200 else 120,
            "seed": seed,
        },
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: write one generated scenario as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=list(SIZES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", help="file to write (default: standard output)")
    parser.add_argument("--period", choices=["week", "month"], default="week")
    parser.add_argument("--demand-ratio", type=float, default=1.7)
    parser.add_argument("--budget-ratio", type=float, default=0.6)
    parser.add_argument("--mandatory-share", type=float, default=0.05)
    parser.add_argument("--fixed-share", type=float, default=0.05)
    parser.add_argument("--dependency-share", type=float, default=0.15)
    parser.add_argument("--compact", action="store_true", help="no indentation")
    args = parser.parse_args(argv)
    scenario = generate(
        args.size,
        args.seed,
        demand_ratio=args.demand_ratio,
        budget_ratio=args.budget_ratio,
        mandatory_share=args.mandatory_share,
        fixed_share=args.fixed_share,
        dependency_share=args.dependency_share,
        period=args.period,
    )
    text = json.dumps(scenario, indent=None if args.compact else 2, ensure_ascii=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        log.info(
            "wrote %s: %d projects, %d staff", args.output, len(scenario["projects"]), len(scenario["staff"])
        )
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
