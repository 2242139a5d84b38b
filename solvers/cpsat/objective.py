"""The objective: value (less cost of delay), priority, or makespan, as CP-SAT integers."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.variables import Variables

MAX_TOTAL = 2**50  # keep scaled objectives well inside int64 and exact in doubles


@dataclass
class Objective:
    """How solver objective values map back to plan objective values."""

    scale: float  # plan objective = solver objective / scale (negated for makespan)
    minimise: bool
    slack: float  # rounding: the true optimum is within this of the scaled one

    def to_plan(self, value: float) -> float:
        return value / self.scale


def set_objective(model: cp_model.CpModel, data: ProblemData, v: Variables) -> Objective:
    if data.objective == "makespan":
        return _makespan(model, data, v)
    terms = [(data.start_value(j, s), x) for j in range(data.num_projects) for s, x in v.starts[j].items()]
    scale = _scale(sum(abs(a) for a, _ in terms))
    model.maximize(sum(round(a * scale) * x for a, x in terms))
    return Objective(scale=scale, minimise=False, slack=0.5 * data.num_projects / scale)


def _scale(total: float) -> float:
    """As many hundredths as fit: exact for money in pence, priorities to 1/100."""
    scale = 100.0
    while scale > 1e-6 and total * scale > MAX_TOTAL:
        scale /= 10
    return scale


def _makespan(model: cp_model.CpModel, data: ProblemData, v: Variables) -> Objective:
    makespan = model.new_int_var(0, data.num_periods, "makespan")
    for j in range(data.num_projects):
        if v.starts[j]:
            model.add(makespan >= v.start(j) + int(data.length[j]) * v.selected(j))
    model.minimize(makespan)
    return Objective(scale=1.0, minimise=True, slack=0.0)
