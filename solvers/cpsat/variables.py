"""Decision variables: one Boolean per project and allowed start period.

``starts[j][s]`` is true when project j is selected and starts in period s. A time-indexed
model keeps every rule linear and tight: demand in period t is a sum of start literals,
and precedence needs no big-M (see ``constraints``).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from engine.problem import ProblemData


class Variables:
    def __init__(
        self,
        model: cp_model.CpModel,
        data: ProblemData,
        *,
        only: set[int] | None = None,
        allowed: dict[int, list[int]] | None = None,
    ):
        """Start literals for every project's window; with ``only``, for those projects
        alone; with ``allowed``, for exactly the given starts of the given projects."""
        self.data = data
        self.starts: list[dict[int, cp_model.IntVar]] = []
        for j in range(data.num_projects):
            options: range | list[int] = range(int(data.earliest[j]), int(data.latest[j]) + 1)
            if only is not None and j not in only:
                options = []
            if allowed is not None:
                options = allowed.get(j, [])
            self.starts.append({s: model.new_bool_var(f"x[{j},{s}]") for s in options})

    def selected(self, j: int) -> cp_model.LinearExpr:
        """1 when project j is in the plan."""
        return cp_model.LinearExpr.sum(list(self.starts[j].values()))

    def start(self, j: int) -> cp_model.LinearExpr:
        """Project j's start period (0 when it is out)."""
        return cp_model.LinearExpr.weighted_sum(list(self.starts[j].values()), list(self.starts[j]))

    def active(self, j: int, t: int) -> list[tuple[int, cp_model.IntVar]]:
        """(relative period, start literal) pairs that make project j active in period t."""
        length = int(self.data.length[j])
        return [(t - s, x) for s, x in self.starts[j].items() if 0 <= t - s < length]
