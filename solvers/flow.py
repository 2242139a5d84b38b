"""Exact per-period fit checks: can this demand be served by these staff groups?

With multi-skilled people a per-skill sum is wrong (one analyst who also tests cannot
do both at once), so the check is a max-flow from demand classes to the groups that
qualify for them. The arcs are built once (:class:`Network`) and shared by every period;
:class:`PeriodLoad` keeps the committed demand of a period and a flow that serves it (one
entry per class-to-group arc). Adding demand tries, in order: a necessary test (each class
alone within all the capacity that could serve it), a fill of the capacity the current
flow leaves free (sufficient: no existing flow moves), and only then a full max-flow.
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
        # The fill visits arcs by class, the most specialised groups first, so that it
        # leaves the people who can do many things free for later work.
        breadth = eligible.sum(axis=1)
        self.fill_order = np.lexsort((self.g_idx, breadth[self.g_idx], self.c_idx))
        self.class_start = np.searchsorted(self.c_idx[self.fill_order], np.arange(self.num_classes + 1))
        n_c, n_g = self.num_classes, self.num_groups
        self.source, self.sink = n_c + n_g, n_c + n_g + 1
        self.tails = np.concatenate([np.full(n_c, self.source), self.c_idx, n_c + np.arange(n_g)]).astype(
            np.int32
        )
        self.heads = np.concatenate([np.arange(n_c), n_c + self.g_idx, np.full(n_g, self.sink)]).astype(
            np.int32
        )
        self.middle = np.arange(n_c, n_c + len(self.c_idx))

    def arc_flow(self, demand: np.ndarray, capacity: np.ndarray) -> tuple[int, np.ndarray]:
        """Max-flow of ``demand`` (classes,) into ``capacity`` (groups,): hours served and
        the flow on each class-to-group arc."""
        served, flow, _ = self.max_flow(demand, capacity, cut=False)
        return served, flow

    def max_flow(
        self, demand: np.ndarray, capacity: np.ndarray, *, cut: bool = True
    ) -> tuple[int, np.ndarray, frozenset[int]]:
        """Hours served, the flow per arc, and (if ``cut``), when not all demand is served,
        a set S of classes whose demand exceeds the capacity of every group that could serve
        them (Hall's condition broken: the classes on the source side of a minimum cut)."""
        total = int(demand.sum())
        if total == 0:
            return 0, np.zeros(len(self.c_idx), dtype=np.int64), frozenset()
        caps = np.concatenate([demand, np.full(len(self.c_idx), total), capacity]).astype(np.int64)
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(self.tails, self.heads, caps)
        if solver.solve(self.source, self.sink) != solver.OPTIMAL:  # pragma: no cover - small ints
            raise RuntimeError("max-flow failed")
        served, flow = int(solver.optimal_flow()), solver.flows(self.middle).astype(np.int64)
        if served == total or not cut:
            return served, flow, frozenset()
        side = solver.get_source_side_min_cut()
        return served, flow, frozenset(int(n) for n in side if n < self.num_classes)

    def route(self, demand: np.ndarray, capacity: np.ndarray) -> tuple[int, np.ndarray]:
        """As :meth:`arc_flow`, with the flow as a (classes, groups) matrix."""
        served, arcs = self.arc_flow(demand, capacity)
        return served, self.dense(arcs)

    def dense(self, arcs: np.ndarray) -> np.ndarray:
        flow = np.zeros((self.num_classes, self.num_groups), dtype=np.int64)
        flow[self.c_idx, self.g_idx] = arcs
        return flow

    def served(self, arcs: np.ndarray) -> np.ndarray:
        """Per class, the units a flow serves."""
        return np.bincount(self.c_idx, weights=arcs, minlength=self.num_classes).astype(np.int64)

    def fill(self, arcs: np.ndarray, extra: np.ndarray, capacity: np.ndarray) -> np.ndarray | None:
        """``arcs`` plus ``extra`` routed into the capacity ``arcs`` leaves free, moving no
        existing flow; None when that is not enough (a max-flow may still reroute it)."""
        used = np.bincount(self.g_idx, weights=arcs, minlength=self.num_groups).astype(np.int64)
        free = capacity - used
        out = arcs.copy()
        for c in np.flatnonzero(extra):
            arcs_c = self.fill_order[self.class_start[c] : self.class_start[c + 1]]
            groups = self.g_idx[arcs_c]
            avail = free[groups]
            before = np.cumsum(avail) - avail  # free capacity in the groups ahead of each
            take = np.clip(extra[c] - before, 0, avail)
            if int(take.sum()) < extra[c]:
                return None
            out[arcs_c] += take
            free[groups] -= take
        return out

    def blocking_classes(self, demand: np.ndarray, capacity: np.ndarray) -> tuple[int, frozenset[int]]:
        """Max-flow value and the classes of a broken Hall condition; see :meth:`max_flow`."""
        served, _, blocking = self.max_flow(demand, capacity)
        return served, blocking


def route(demand: np.ndarray, capacity: np.ndarray, eligible: np.ndarray) -> tuple[int, np.ndarray]:
    """One-off max-flow; see :meth:`Network.route`."""
    return Network(eligible).route(demand, capacity)


class PeriodLoad:
    """The committed demand of one period and a flow that serves it (per arc)."""

    def __init__(self, capacity: np.ndarray, network: Network | np.ndarray):
        self.network = network if isinstance(network, Network) else Network(network)
        self.capacity = capacity.astype(np.int64)
        self.demand = np.zeros(self.network.num_classes, dtype=np.int64)
        self.flow = np.zeros(len(self.network.c_idx), dtype=np.int64)

    @cached_property
    def reach(self) -> np.ndarray:
        """Per class, all the capacity that could ever serve it."""
        return self.capacity @ self.network.eligible

    def try_add(self, extra: np.ndarray) -> np.ndarray | None:
        """A flow (per arc) serving the committed demand plus ``extra``, or None if none exists."""
        return self.check(extra)[0]

    def check(self, extra: np.ndarray) -> tuple[np.ndarray | None, frozenset[int]]:
        """As :meth:`try_add`, with the classes whose Hall condition breaks when a max-flow
        finds that it does not fit (empty otherwise)."""
        total = self.demand + extra
        over = np.flatnonzero(total > self.reach)
        if len(over):  # a class alone needs more than all who could serve it
            return None, frozenset([int(over[0])])
        flow = self.network.fill(self.flow, extra, self.capacity)
        if flow is not None:
            return flow, frozenset()
        served, flow, blocking = self.network.max_flow(total, self.capacity)
        return (flow, frozenset()) if served == int(total.sum()) else (None, blocking)

    def commit(self, extra: np.ndarray, flow: np.ndarray) -> None:
        self.demand = self.demand + extra
        self.flow = flow

    def set_demand(self, demand: np.ndarray) -> None:
        """Replace the committed demand (which must fit) and route it afresh."""
        self.demand = demand
        _, self.flow = self.network.arc_flow(demand, self.capacity)

    def release(self, gone: np.ndarray) -> None:
        """Take demand out again; the remaining demand always still fits."""
        self.set_demand(self.demand - gone)

    def shortfall(self, extra: np.ndarray) -> np.ndarray:
        """Per class, the units of committed demand plus ``extra`` that cannot be served."""
        total = self.demand + extra
        _, flow = self.network.arc_flow(total, self.capacity)
        return total - self.network.served(flow)
