"""Capacity against demand, before any optimisation: the resource manager's first question.

Every project is put at its earliest start (its fixed start if it has one, and after its
predecessors' earliest finish), and per skill and period we add up the hours asked for
and the hours of the people who hold that skill. A multi-skilled person counts under each
of their skills here, so :func:`unservable_hours` adds the exact view: per period, the
hours that nobody could serve even with perfect allocation (a max-flow).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.problem import UNITS_PER_HOUR, ProblemData
from solvers.flow import route


def earliest_starts(data: ProblemData) -> dict[int, int]:
    """Each project's earliest start, pushed back by its predecessors' earliest finish."""
    starts: dict[int, int] = {}

    def start(j: int) -> int:
        if j not in starts:
            starts[j] = int(data.earliest[j])  # guards against (invalid) cycles
            after = [start(p) + int(data.length[p]) + lag for p, lag in data.predecessors[j]]
            starts[j] = int(data.earliest[j]) if data.fixed[j] else max([int(data.earliest[j]), *after])
        return starts[j]

    for j in range(data.num_projects):
        start(j)
    return starts


def class_demand(data: ProblemData, starts: dict[int, int]) -> np.ndarray:
    """(period, class) demand units with projects at ``starts`` (clipped to the horizon)."""
    load = np.zeros((data.num_periods, len(data.classes)), dtype=np.int64)
    for j, s in starts.items():
        for r in range(int(data.length[j])):
            if 0 <= s + r < data.num_periods:
                load[s + r, data.project_classes[j]] += data.demand[j][r]
    return load


def skill_capacity(data: ProblemData) -> np.ndarray:
    """(skill, period) capacity units of the people holding each skill, each counted under every
    skill they hold."""
    holders = data.levels.T > 0  # (skill, staff)
    return holders.astype(np.int64) @ data.capacity


def capacity_vs_demand(data: ProblemData) -> pd.DataFrame:
    """One row per skill and period: demand, capacity that could serve it, gap, utilisation."""
    load = class_demand(data, earliest_starts(data))
    capacity_by_skill = skill_capacity(data)
    rows = []
    for k, skill in enumerate(data.skill_ids):
        capacity = capacity_by_skill[k]
        in_skill = [c for c, cls in enumerate(data.classes) if cls.skill == k]
        demand = load[:, in_skill].sum(axis=1)
        for t in range(data.num_periods):
            rows.append((skill, t, data.calendar.first_day(t), demand[t], capacity[t]))
    frame = pd.DataFrame(rows, columns=["skill", "period", "start", "demand_hours", "capacity_hours"])
    frame[["demand_hours", "capacity_hours"]] /= UNITS_PER_HOUR
    frame["gap_hours"] = frame["capacity_hours"] - frame["demand_hours"]
    frame["utilisation"] = frame["demand_hours"] / frame["capacity_hours"].where(frame["capacity_hours"] > 0)
    return frame


def unservable_hours(data: ProblemData) -> pd.Series:
    """Per period, demand hours no allocation of staff could serve (counts each person once)."""
    load = class_demand(data, earliest_starts(data))
    short = []
    for t in range(data.num_periods):
        served, _ = route(load[t], data.group_capacity[:, t], data.group_eligible)
        short.append((int(load[t].sum()) - served) / UNITS_PER_HOUR)
    return pd.Series(short, index=pd.RangeIndex(data.num_periods, name="period"), name="unservable_hours")
