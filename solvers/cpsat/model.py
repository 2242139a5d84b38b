"""The portfolio model: variables, constraints and objective put together."""

from __future__ import annotations

from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.constraints import Constraints
from solvers.cpsat.hall import ClassSet
from solvers.cpsat.objective import Objective, set_objective
from solvers.cpsat.variables import Variables


class PortfolioModel:
    """The CP-SAT model of a portfolio, with capacity as Hall cuts over ``hall_sets`` (a
    model of start decisions only; see ``hall`` for why not explicit flows)."""

    def __init__(self, data: ProblemData, hall_sets: set[ClassSet]):
        self.data = data
        self.model = cp_model.CpModel()
        self.vars = Variables(self.model, data)
        self.rules = Constraints(self.model, data, self.vars)
        self.rules.at_most_one_start()
        self.rules.mandatory()
        self.rules.dependencies()
        self.rules.hall(hall_sets)
        self.rules.budget()
        self.objective: Objective = set_objective(self.model, data, self.vars)

    def hint(self, starts: dict[int, int]) -> None:
        """Start the search from a known plan (e.g. the greedy one)."""
        self.model.clear_hints()
        for j, options in enumerate(self.vars.starts):
            for s, x in options.items():
                self.model.add_hint(x, starts.get(j) == s)

    def starts_in(self, solver: cp_model.CpSolver | cp_model.CpSolverSolutionCallback) -> dict[int, int]:
        """The start chosen for each selected project in the solver's solution."""
        return {
            j: s
            for j, options in enumerate(self.vars.starts)
            for s, x in options.items()
            if solver.boolean_value(x)
        }
