"""Exact per-period fit checks: can this demand be served by these staff groups?

With multi-skilled people a per-skill sum is wrong (one analyst who also tests cannot
do both at once), so the check is a max-flow from demand classes to the groups that
qualify for them. :class:`PeriodLoad` keeps a feasible flow for the work already
committed and tries a cheap greedy extension before falling back to a full max-flow.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import max_flow


def route(demand: np.ndarray, capacity: np.ndarray, eligible: np.ndarray) -> tuple[int, np.ndarray]:
    """Max-flow of ``demand`` (classes,) into ``capacity`` (groups,) along ``eligible``
    (groups, classes). Returns the hours served and the flow as a (classes, groups) matrix.
    """
    num_classes, num_groups = len(demand), len(capacity)
    flow = np.zeros((num_classes, num_groups), dtype=np.int64)
    if demand.sum() == 0:
        return 0, flow
    g_idx, c_idx = np.nonzero(eligible)
    source, sink = num_classes + num_groups, num_classes + num_groups + 1
    tails = np.concatenate([np.full(num_classes, source), c_idx, num_classes + np.arange(num_groups)])
    heads = np.concatenate([np.arange(num_classes), num_classes + g_idx, np.full(num_groups, sink)])
    caps = np.concatenate([demand, np.full(len(c_idx), int(demand.sum())), capacity])
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails.astype(np.int32), heads.astype(np.int32), caps.astype(np.int64))
    if solver.solve(source, sink) != solver.OPTIMAL:  # pragma: no cover - inputs are small ints
        raise RuntimeError("max-flow failed")
    middle = np.arange(num_classes, num_classes + len(c_idx))
    flow[c_idx, g_idx] = solver.flows(middle)
    return int(solver.optimal_flow()), flow


class PeriodLoad:
    """The committed demand of one period and a flow that serves it."""

    def __init__(self, capacity: np.ndarray, eligible: np.ndarray):
        self.capacity = capacity.astype(np.int64)
        self.eligible = eligible
        self.demand = np.zeros(eligible.shape[1], dtype=np.int64)
        self.flow = np.zeros((eligible.shape[1], eligible.shape[0]), dtype=np.int64)
        # Fill specialists first, keeping flexible (many-skilled) groups free for later.
        self._group_order = np.argsort(eligible.sum(axis=1), kind="stable")

    def try_add(self, extra: np.ndarray) -> np.ndarray | None:
        """A flow serving the committed demand plus ``extra``, or None if none exists."""
        flow = self._extend_greedily(extra)
        if flow is not None:
            return flow
        total = self.demand + extra
        served, flow = route(total, self.capacity, self.eligible)
        return flow if served == int(total.sum()) else None

    def commit(self, extra: np.ndarray, flow: np.ndarray) -> None:
        self.demand = self.demand + extra
        self.flow = flow

    def shortfall(self, extra: np.ndarray) -> np.ndarray:
        """Per class, the units of committed demand plus ``extra`` that cannot be served."""
        total = self.demand + extra
        _, flow = route(total, self.capacity, self.eligible)
        return total - flow.sum(axis=1)

    def _extend_greedily(self, extra: np.ndarray) -> np.ndarray | None:
        residual = self.capacity - self.flow.sum(axis=0)
        flow = self.flow.copy()
        for c in np.flatnonzero(extra):
            need = int(extra[c])
            for g in self._group_order:
                if need == 0:
                    break
                if self.eligible[g, c] and residual[g] > 0:
                    take = min(need, int(residual[g]))
                    flow[c, g] += take
                    residual[g] -= take
                    need -= take
            if need:
                return None
        return flow
