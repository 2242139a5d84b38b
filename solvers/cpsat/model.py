"""The portfolio model: variables, constraints and objective put together."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.constraints import Constraints
from solvers.cpsat.objective import Objective, set_objective
from solvers.cpsat.variables import Variables


@dataclass
class PortfolioModel:
    data: ProblemData
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)

    def __post_init__(self) -> None:
        self.vars = Variables(self.model, self.data)
        self.rules = Constraints(self.model, self.data, self.vars)
        self.rules.at_most_one_start()
        self.rules.mandatory()
        self.rules.dependencies()
        self.rules.capacity()
        self.rules.budget()
        self.objective: Objective = set_objective(self.model, self.data, self.vars)

    def hint(self, starts: dict[int, int]) -> None:
        """Start the search from a known plan (e.g. the greedy one)."""
        self.model.clear_hints()
        for j, options in enumerate(self.vars.starts):
            for s, x in options.items():
                self.model.add_hint(x, starts.get(j) == s)

    def starts_in(self, solver: cp_model.CpSolver) -> dict[int, int]:
        """The start chosen for each selected project in the solver's solution."""
        return {
            j: s
            for j, options in enumerate(self.vars.starts)
            for s, x in options.items()
            if solver.boolean_value(x)
        }
