"""Infeasibility report: the smallest set of mandatory projects that cannot all fit, and why.

1. If the mandatory projects' cost alone breaks the budget, that is the conflict.
2. Otherwise CP-SAT is asked for a core: each mandatory project's selection is an
   assumption, and the solver names a subset of assumptions that is infeasible on its own.
   The core is shrunk by deletion (drop a project, re-check) to a minimal one.
3. For that set, a relaxed model (demand may go unmet) finds the least shortfall over all
   ways of scheduling it; the skill, periods and hours short come from that solution.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from engine.problem import ProblemData, to_hours
from engine.words import names, skill_words, span
from solvers.cpsat.constraints import Constraints
from solvers.cpsat.variables import Variables

MAX_DELETION_CHECKS = 40


def find_conflicts(data: ProblemData, *, time_limit: float = 5.0) -> list[dict]:
    """Conflicts that make the mandatory work infeasible (see the module docstring)."""
    mandatory = [int(j) for j in np.flatnonzero(data.mandatory)]
    budget = _budget_conflict(data, mandatory)
    if budget:
        return [budget]
    core = _core(data, mandatory, time_limit)
    if not core:
        ids = [data.project_ids[j] for j in mandatory]
        return [
            {"projects": ids, "text": "the mandatory and fixed-start projects cannot all be planned together"}
        ]
    return [_shortfall(data, core, time_limit)]


def _budget_conflict(data: ProblemData, mandatory: list[int]) -> dict | None:
    total = data.total_budget
    cost = float(data.cost[mandatory].sum())
    if total is None or cost <= total:
        return None
    ids = [data.project_ids[j] for j in mandatory]
    return {
        "projects": ids,
        "text": f"the mandatory projects cost {cost:,.0f}, over the budget of {total:,.0f}",
    }


def _model(
    data: ProblemData, projects: list[int], *, assume: bool = False, soft: bool = False
) -> tuple[cp_model.CpModel, Constraints, dict[int, cp_model.IntVar]]:
    """A model planning exactly ``projects``, all of them in: each under an assumption
    literal when ``assume``; with unmet demand allowed (and no budget) when ``soft``."""
    model = cp_model.CpModel()
    rules = Constraints(model, data, Variables(model, data, only=set(projects)))
    enforce = {j: model.new_bool_var(f"must[{j}]") for j in projects} if assume else {}
    rules.at_most_one_start()
    rules.mandatory(projects, enforce=enforce or None)
    rules.dependencies()
    rules.capacity(soft=soft)
    if not soft:
        rules.budget()
    model.add_assumptions(list(enforce.values()))
    return model, rules, enforce


def _feasible(data: ProblemData, projects: list[int], time_limit: float) -> cp_model.CpSolverStatus:
    """CP-SAT status of planning exactly ``projects`` (and nothing else)."""
    return _run(_model(data, projects)[0], time_limit)[0]


def _core(data: ProblemData, mandatory: list[int], time_limit: float) -> list[int]:
    model, _, enforce = _model(data, mandatory, assume=True)
    status, solver = _run(model, time_limit)
    if status != cp_model.INFEASIBLE:
        return []
    by_index = {lit.index: j for j, lit in enumerate(enforce.values())}
    core = sorted(
        mandatory[by_index[i]] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index
    )
    return _shrink(data, core or mandatory, time_limit)


def _shrink(data: ProblemData, core: list[int], time_limit: float) -> list[int]:
    """Drop projects one at a time while the rest stays infeasible (a minimal core)."""
    each = max(0.5, time_limit / max(len(core), 1))
    for j in list(core)[:MAX_DELETION_CHECKS]:
        rest = [k for k in core if k != j]
        rest = _with_predecessors(data, rest)
        if rest and _feasible(data, rest, each) == cp_model.INFEASIBLE:
            core = [k for k in core if k != j]
    return sorted(core)


def _with_predecessors(data: ProblemData, projects: list[int]) -> list[int]:
    chosen, stack = set(projects), list(projects)
    while stack:
        for pred, _ in data.predecessors[stack.pop()]:
            if pred not in chosen:
                chosen.add(pred)
                stack.append(pred)
    return sorted(chosen)


def _shortfall(data: ProblemData, core: list[int], time_limit: float) -> dict:
    model, rules, _ = _model(data, _with_predecessors(data, core), soft=True)
    model.minimize(sum(rules.shortfall.values()))
    status, solver = _run(model, time_limit)
    ids = [data.project_ids[j] for j in core]
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {"projects": ids, "text": f"{names(ids)} cannot all be planned together"}
    short = {key: solver.value(var) for key, var in rules.shortfall.items() if solver.value(var) > 0}
    if not short:
        return {"projects": ids, "text": f"{names(ids)} cannot all be planned within the budget"}
    per_class: dict[int, int] = {}
    for (_, c), units in short.items():
        per_class[c] = per_class.get(c, 0) + units
    c = max(per_class, key=lambda k: per_class[k])
    periods = sorted(t for (t, k) in short if k == c)
    hours = to_hours(per_class[c])
    text = (
        f"{names(ids)} cannot all be planned: even at best they need {hours:g} h more "
        f"{skill_words(data, c)} than the staff have in {span(data, periods)}"
    )
    return {
        "projects": ids,
        "skill": data.skill_ids[data.classes[c].skill],
        "periods": periods,
        "shortfall_hours": hours,
        "text": text,
    }


def _run(model: cp_model.CpModel, time_limit: float) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = time_limit  # reproducible reports
    solver.parameters.max_time_in_seconds = 10 * time_limit  # a safety net only
    solver.parameters.num_workers = 1  # assumptions cores need a single worker
    return solver.solve(model), solver
