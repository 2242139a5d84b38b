"""The rules of a portfolio plan as CP-SAT constraints, one method per family."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.hall import SetCapacity
from solvers.cpsat.variables import Variables
from solvers.portfolio import Portfolio, budget_allowance, period_costs

MONEY_SCALE = 100  # budgets in hundredths of the currency unit
OVERSHOOT = 1e-3  # the most rounding a cap's amounts down may let a plan over it, in currency units
COEFFICIENT_ROOM = 2.0**60  # the most a budget cap's coefficients may add up to


class Constraints:
    def __init__(
        self, model: cp_model.CpModel, data: ProblemData, v: Variables, base: Portfolio | None = None
    ):
        """``base`` holds projects already decided (for neighbourhood search): their demand
        and spending count against capacity and budget, and they are not variables."""
        self.model, self.data, self.v, self.base = model, data, v, base
        # Per period and class: the demand expression's terms (coefficient, literal).
        self.demand_terms: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        # Per period and class: the most demand the variables could add (every start at once).
        self.most = np.zeros((data.num_periods, len(data.classes)), dtype=np.int64)
        for j in range(data.num_projects):
            if not v.starts[j]:
                continue
            rows, cols = np.nonzero(data.demand[j])
            classes, units = data.project_classes[j][cols], data.demand[j][rows, cols]
            cells = list(zip(rows.tolist(), classes.tolist(), units.tolist(), strict=True))
            for s, x in v.starts[j].items():
                for r, c, u in cells:
                    self.demand_terms[(s + r, c)].append((u, x))
            starts = np.fromiter(v.starts[j], dtype=np.int64)
            np.add.at(
                self.most,
                ((starts[:, None] + rows[None, :]).ravel(), np.tile(classes, len(starts))),
                np.tile(units, len(starts)),
            )
        self.shortfall: dict[tuple[int, int], cp_model.IntVar] = {}
        self.flows: dict[tuple[int, int, int], cp_model.IntVar] = {}  # (period, class, group)

    def at_most_one_start(self) -> None:
        """A project starts at most once."""
        for starts in self.v.starts:
            if len(starts) > 1:
                self.model.add_at_most_one(starts.values())

    def mandatory(
        self, projects: list[int] | None = None, *, enforce: dict[int, cp_model.IntVar] | None = None
    ) -> None:
        """Mandatory and fixed-start projects are in every plan (optionally under an assumption literal)."""
        for j in projects if projects is not None else np.flatnonzero(self.data.mandatory):
            j = int(j)
            constraint = self.model.add(self.v.selected(j) == 1)
            if enforce is not None:
                constraint.only_enforce_if(enforce[j])

    def dependencies(self) -> None:
        """A project starts no earlier than lag periods after each predecessor finishes.

        Time-indexed and without big-M: starting j at s needs the predecessor to have
        started by s - length - lag. It also keeps a project out when its predecessor is.
        """
        data = self.data
        for j in range(data.num_projects):
            for pred, lag in data.predecessors[j]:
                if self.base is not None and pred in self.base.starts:
                    continue  # placed in the base: the caller restricted j's starts
                # A predecessor with no start left (none fits, or it is out) keeps j out.
                gap = int(data.length[pred]) + lag
                early = sorted(self.v.starts[pred].items())
                for s, x in self.v.starts[j].items():
                    ready = [y for sp, y in early if sp + gap <= s]
                    self.model.add(x <= sum(ready)) if ready else self.model.add(x == 0)

    def capacity(self, *, soft: bool = False) -> None:
        """In every period, demand per class flows to groups that qualify, within capacity.

        Exact with multi-skilled people: a group's hours are shared by all classes it
        serves. With ``soft``, unmet demand is allowed and recorded in ``shortfall``.
        """
        by_period: dict[int, set[int]] = defaultdict(set)
        for t, c in self.demand_terms:
            by_period[t].add(c)
        for t, classes in sorted(by_period.items()):
            if self.base is not None:
                classes |= {int(c) for c in np.flatnonzero(self.base.loads[t].demand)}
            self._period_capacity(t, sorted(classes), soft)

    def _period_capacity(self, t: int, classes: list[int], soft: bool) -> None:
        data, model = self.data, self.model
        flows_into: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        most_into: dict[int, int] = defaultdict(int)  # the most the flows into a group could carry
        for c in classes:
            terms = self.demand_terms.get((t, c), [])
            fixed = 0 if self.base is None else int(self.base.loads[t].demand[c])
            top = fixed + sum(u for u, _ in terms)
            served: list[cp_model.IntVar] = []
            for g in (int(g) for g in np.flatnonzero(data.group_eligible[:, c])):
                most = int(min(top, data.group_capacity[g, t]))
                if most > 0:
                    self.flows[(t, c, g)] = model.new_int_var(0, most, f"f[{t},{c},{g}]")
                    served.append(self.flows[(t, c, g)])
                    flows_into[g].append(served[-1])
                    most_into[g] += most
            if soft:
                self.shortfall[(t, c)] = model.new_int_var(0, top, f"short[{t},{c}]")
                served.append(self.shortfall[(t, c)])
            model.add(sum(served) == fixed + sum(u * x for u, x in terms))
        for g, flows in flows_into.items():
            if most_into[g] > data.group_capacity[g, t]:  # otherwise it cannot bind
                model.add(sum(flows) <= int(data.group_capacity[g, t]))

    def hall(self, sets: set[frozenset[int]], capacity: SetCapacity | None = None) -> None:
        """In every period, each set of classes needs no more than the groups able to serve
        any of them can give (see ``hall``); only cuts that could ever bind are added.

        Which (period, set) cuts could bind is worked out with matrix products (sets x
        periods), so that neighbourhood steps on large portfolios do not pay for all of them."""
        data = self.data
        order = sorted(sets, key=sorted)
        if not order or not self.demand_terms:
            return
        member = np.zeros((len(data.classes), len(order)))  # floats for BLAS: exact below 2**53
        for i, classes in enumerate(order):
            member[sorted(classes), i] = 1.0
        cap = (capacity or SetCapacity(data)).of(order)  # (period, set)
        if self.base is not None:
            used = np.stack([load.demand for load in self.base.loads]).astype(np.float64) @ member
            cap = cap - np.rint(used).astype(np.int64)
        most = self.most
        demand: dict[tuple[int, int], cp_model.LinearExpr] = {}
        present = [set(np.flatnonzero(row).tolist()) for row in most]
        need = np.rint(most.astype(np.float64) @ member).astype(np.int64)
        for t, i in zip(*np.nonzero(need > cap), strict=True):
            here = sorted(order[i] & present[t])
            for c in here:
                if (t, c) not in demand:
                    terms = self.demand_terms[(int(t), c)]
                    demand[(t, c)] = cp_model.LinearExpr.weighted_sum(
                        [x for _, x in terms], [u for u, _ in terms]
                    )
            self.model.add(cp_model.LinearExpr.sum([demand[(t, c)] for c in here]) <= int(cap[t, i]))

    def budget(self) -> None:
        """Selected projects' cost (and labour, if counted) within the total, per period and per year.

        A relaxation of the budget, exact where it can be: each cap's amounts are rounded down
        (``money_scale``), so every plan within the budget is in the model and its bound and
        "infeasible" are proofs; the search checks each plan it keeps against the budget exactly.
        Rounding each amount up instead (before 2026-11-30) made the model stricter than the
        budget wherever a cost's share of a year or period was not whole hundredths (most yearly
        budgets), so it could prove nothing: such plans had no bound."""
        data = self.data
        budget = data.scenario.policy.budget
        if budget is None:
            return
        # Each project's cost counts once per cap (its whole cost for the total, its share in a
        # year for that year), never as a sum of separately rounded period shares.
        per_period: dict[int, list[tuple[float, cp_model.IntVar]]] = defaultdict(list)
        per_year: dict[int, list[tuple[float, cp_model.IntVar]]] = defaultdict(list)
        total_terms = []
        for j, cost in enumerate(period_costs(data)):
            for s, x in self.v.starts[j].items():
                total_terms.append((float(cost.sum()), x))
                if data.period_cost_cap is not None:
                    for r, amount in enumerate(cost):
                        per_period[s + r].append((float(amount), x))
                if data.year_of_period is not None:
                    years = data.year_of_period[s : s + len(cost)]
                    for y in np.unique(years):
                        per_year[int(y)].append((float(cost[years == y].sum()), x))
        spent = np.zeros(data.num_periods) if self.base is None else self.base.spent_period
        if data.total_budget is not None:
            self._cap(total_terms, data.total_budget, float(spent.sum()))
        if data.period_cost_cap is not None:
            for t, cap in enumerate(data.period_cost_cap):
                self._cap(per_period.get(t, []), float(cap), float(spent[t]))
        if data.year_of_period is not None:
            for y, (_, cap) in enumerate(data.year_caps):
                in_year = np.flatnonzero(data.year_of_period == y)
                self._cap(per_year.get(y, []), cap, float(spent[in_year].sum()))

    def _cap(self, terms: list[tuple[float, cp_model.IntVar]], cap: float, spent: float) -> None:
        """The terms within what ``cap`` allows (``budget_allowance``), less ``spent`` already."""
        amounts = np.array([a for a, _ in terms])
        allowed = budget_allowance(cap)
        scale = money_scale(amounts, self.data.num_projects, allowed - cap)
        limit = math.floor((allowed - spent) * scale + 1e-6)
        coefficients = np.floor(amounts * scale + 1e-6).astype(np.int64).tolist()
        if sum(coefficients) > limit:
            self.model.add(sum(c * x for c, (_, x) in zip(coefficients, terms, strict=True)) <= limit)


def money_scale(amounts: np.ndarray, projects: int, tolerance: float) -> int:
    """Units per currency unit for one budget cap's amounts, each to be rounded down.

    Hundredths when every amount is whole hundredths (exact). Otherwise finer: a plan takes
    one amount per project at most, so rounding them down lets it over what the cap allows by
    less than ``projects`` units, kept under ``OVERSHOOT`` and under the cap's own
    ``tolerance`` while the cap's coefficients add up to less than ``COEFFICIENT_ROOM``
    (CP-SAT refuses a constraint that could overflow); past that by a little more, which the
    search's exact check of every plan refuses."""
    units = amounts * MONEY_SCALE
    if np.allclose(units, np.rint(units), rtol=0, atol=1e-6):
        return MONEY_SCALE
    needed = math.ceil(projects / min(OVERSHOOT, tolerance))
    room = int(COEFFICIENT_ROOM / max(float(amounts.sum()), 1.0))
    return max(MONEY_SCALE, min(needed, room))
