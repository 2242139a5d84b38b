"""Exact per-period fit checks: can this demand be served by these staff groups?

With multi-skilled people a per-skill sum is wrong (one analyst who also tests cannot
do both at once), so the check is a max-flow from demand classes to the groups that
qualify for them. The arcs are built once (:class:`Network`) and shared by every period;
:class:`PeriodLoad` keeps the committed demand of a period and its flow, and runs a cheap
necessary test (each class alone within all the capacity that could serve it) before a
max-flow. Measured in ``benchmarks/greedy_fit.py``: a greedy extension of the current flow
before the max-flow was no faster, so it is not here.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from ortools.graph.python import max_flow


class Network:
    """The class-to-group arcs, built once and shared by every period."""

    def __init__(self, eligible: np.ndarray):
        self.eligible = eligible
        self.num_groups, self.num_classes = eligible.shape
        self.g_idx, self.c_idx = np.nonzero(eligible)
        n_c, n_g = self.num_classes, self.num_groups
        self.source, self.sink = n_c + n_g, n_c + n_g + 1
        self.tails = np.concatenate([np.full(n_c, self.source), self.c_idx, n_c + np.arange(n_g)]).astype(
            np.int32
        )
        self.heads = np.concatenate([np.arange(n_c), n_c + self.g_idx, np.full(n_g, self.sink)]).astype(
            np.int32
        )
        self.middle = np.arange(n_c, n_c + len(self.c_idx))

    def route(self, demand: np.ndarray, capacity: np.ndarray) -> tuple[int, np.ndarray]:
        """Max-flow of ``demand`` (classes,) into ``capacity`` (groups,): hours served and
        the flow as a (classes, groups) matrix."""
        flow = np.zeros((self.num_classes, self.num_groups), dtype=np.int64)
        total = int(demand.sum())
        if total == 0:
            return 0, flow
        caps = np.concatenate([demand, np.full(len(self.c_idx), total), capacity]).astype(np.int64)
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(self.tails, self.heads, caps)
        if solver.solve(self.source, self.sink) != solver.OPTIMAL:  # pragma: no cover - small ints
            raise RuntimeError("max-flow failed")
        flow[self.c_idx, self.g_idx] = solver.flows(self.middle)
        return int(solver.optimal_flow()), flow

    def blocking_classes(self, demand: np.ndarray, capacity: np.ndarray) -> tuple[int, frozenset[int]]:
        """Max-flow value and, when not all demand is served, a set S of classes whose
        demand exceeds the capacity of every group that could serve them (Hall's condition
        broken: the classes on the source side of a minimum cut)."""
        total = int(demand.sum())
        caps = np.concatenate([demand, np.full(len(self.c_idx), total), capacity]).astype(np.int64)
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(self.tails, self.heads, caps)
        solver.solve(self.source, self.sink)
        served = int(solver.optimal_flow())
        if served == total:
            return served, frozenset()
        side = solver.get_source_side_min_cut()
        return served, frozenset(int(n) for n in side if n < self.num_classes)


def route(demand: np.ndarray, capacity: np.ndarray, eligible: np.ndarray) -> tuple[int, np.ndarray]:
    """One-off max-flow; see :meth:`Network.route`."""
    return Network(eligible).route(demand, capacity)


class PeriodLoad:
    """The committed demand of one period and a flow that serves it."""

    def __init__(self, capacity: np.ndarray, network: Network | np.ndarray):
        self.network = network if isinstance(network, Network) else Network(network)
        self.capacity = capacity.astype(np.int64)
        self.demand = np.zeros(self.network.num_classes, dtype=np.int64)
        self.flow = np.zeros((self.network.num_classes, self.network.num_groups), dtype=np.int64)

    @cached_property
    def reach(self) -> np.ndarray:
        """Per class, all the capacity that could ever serve it."""
        return self.capacity @ self.network.eligible

    def try_add(self, extra: np.ndarray) -> np.ndarray | None:
        """A flow serving the committed demand plus ``extra``, or None if none exists."""
        total = self.demand + extra
        if (total > self.reach).any():  # a class alone needs more than all who could serve it
            return None
        served, flow = self.network.route(total, self.capacity)
        return flow if served == int(total.sum()) else None

    def commit(self, extra: np.ndarray, flow: np.ndarray) -> None:
        self.demand = self.demand + extra
        self.flow = flow

    def release(self, gone: np.ndarray) -> None:
        """Take demand out again; the remaining demand always still fits."""
        self.demand = self.demand - gone
        _, self.flow = self.network.route(self.demand, self.capacity)

    def shortfall(self, extra: np.ndarray) -> np.ndarray:
        """Per class, the units of committed demand plus ``extra`` that cannot be served."""
        total = self.demand + extra
        _, flow = self.network.route(total, self.capacity)
        return total - flow.sum(axis=1)
