"""Exact per-period fit checks: can this demand be served by these staff groups?

With multi-skilled people a per-skill sum is wrong (one analyst who also tests cannot
do both at once), so the check is a max-flow from demand classes to the groups that
qualify for them. The arcs are built once (:class:`Network`) and shared by every period;
:class:`PeriodLoad` keeps the committed demand of a period and a flow that serves it (one
entry per class-to-group arc). Adding demand tries, in order: a necessary test (each class
alone within all the capacity that could serve it), a fill of the capacity the current
flow leaves free (sufficient: no existing flow moves), and only then a max-flow of the
added demand alone in the residual network of the current flow (exact: a flow serving the
committed demand can always be augmented to a maximum one, so only the added demand needs
routing, which takes the solver about half the time of routing everything afresh).
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

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

    def free(self, arcs: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """Per group, the capacity the flow ``arcs`` leaves."""
        return capacity - np.bincount(self.g_idx, weights=arcs, minlength=self.num_groups).astype(np.int64)

    def fill(self, arcs: np.ndarray, extra: np.ndarray, free: np.ndarray) -> np.ndarray | None:
        """``arcs`` plus ``extra`` routed into the capacity ``free`` that ``arcs`` leaves (see
        :meth:`free`), moving no existing flow; None when that is not enough (a max-flow may
        still reroute it)."""
        free = free.copy()
        out = arcs.copy()
        for c in np.flatnonzero(extra):
            arcs_c = self.fill_order[self.class_start[c] : self.class_start[c + 1]]
            groups = self.g_idx[arcs_c]
            avail = free[groups]
            before = np.cumsum(avail) - avail  # free capacity in the groups ahead of each
            take = np.minimum(np.maximum(extra[c] - before, 0), avail)  # np.clip costs more per call
            if int(take.sum()) < extra[c]:
                return None
            out[arcs_c] += take
            free[groups] -= take
        return out

    def blocking_classes(self, demand: np.ndarray, capacity: np.ndarray) -> tuple[int, frozenset[int]]:
        """Max-flow value and the classes of a broken Hall condition; see :meth:`max_flow`."""
        served, _, blocking = self.max_flow(demand, capacity)
        return served, blocking

    def residual(self, arcs: np.ndarray, free: np.ndarray) -> Residual:
        """The residual network of a flow ``arcs`` leaving ``free`` (see :meth:`free`), with no
        source arcs yet: every class-to-group arc (unbounded), each arc with flow backwards (up
        to its flow), and each group with capacity left to the sink."""
        free = np.maximum(free, 0)
        back, n_c, n_g = np.flatnonzero(arcs), self.num_classes, self.num_groups
        unbounded = np.full(len(self.c_idx), int(free.sum() + arcs.sum()))  # no flow can exceed it
        # Every group gets its arc to the sink, full ones too: with none, OR-Tools has no sink
        # node, and the minimum cut comes back empty.
        return Residual(
            tails=np.concatenate([self.c_idx, n_c + self.g_idx[back], n_c + np.arange(n_g)]).astype(np.int32),
            heads=np.concatenate([n_c + self.g_idx, self.c_idx[back], np.full(n_g, self.sink)]).astype(
                np.int32
            ),
            caps=np.concatenate([unbounded, arcs[back], free]).astype(np.int64),
            back=back,
        )

    def augment(
        self, arcs: np.ndarray, residual: Residual, extra: np.ndarray, *, cut: bool = True
    ) -> tuple[np.ndarray, np.ndarray, frozenset[int]]:
        """Route ``extra`` (classes,) on top of the flow ``arcs``, whose residual network is
        ``residual``: the units of each class that cannot be served, the new flow per arc
        (the old one's demand all still served), and (if ``cut``, when some unit is short)
        the classes of a broken Hall condition for the old demand plus ``extra``."""
        classes = np.flatnonzero(extra)
        if not len(classes):
            return np.zeros_like(extra, dtype=np.int64), arcs.copy(), frozenset()
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(residual.tails, residual.heads, residual.caps)
        sources = solver.add_arcs_with_capacity(
            np.full(len(classes), self.source, dtype=np.int32), classes.astype(np.int32), extra[classes]
        )
        if solver.solve(self.source, self.sink) != solver.OPTIMAL:  # pragma: no cover - small ints
            raise RuntimeError("max-flow failed")
        short = extra.astype(np.int64).copy()
        short[classes] -= solver.flows(sources).astype(np.int64)
        k, b = len(self.c_idx), len(residual.back)
        moved = solver.flows(np.arange(k + b)).astype(np.int64)
        flow = arcs + moved[:k]
        flow[residual.back] -= moved[k:]
        blocking = frozenset[int]()
        if cut and short.any():
            # The classes the source still reaches: their groups are full, and serve only them.
            blocking = frozenset(int(n) for n in solver.get_source_side_min_cut() if n < self.num_classes)
        return short, flow, blocking


class Residual(NamedTuple):
    """A flow's residual network as arcs (see :meth:`Network.residual`)."""

    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    back: np.ndarray  # the arcs (of ``Network.c_idx``) whose flow may be pushed back


def route(demand: np.ndarray, capacity: np.ndarray, eligible: np.ndarray) -> tuple[int, np.ndarray]:
    """One-off max-flow; see :meth:`Network.route`."""
    return Network(eligible).route(demand, capacity)


class Fit(NamedTuple):
    """What adding demand to a period found."""

    flow: np.ndarray | None  # per arc, serving the committed demand and the added; None if it does not fit
    blocking: frozenset[int]  # classes of a broken Hall condition, when one was found
    # per class, the added units no flow can serve (with the committed ones, on a load whose own
    # demand does not fit); None when no max-flow ran
    short: np.ndarray | None


class PeriodLoad:
    """The committed demand of one period and a flow that serves it (per arc)."""

    def __init__(self, capacity: np.ndarray, network: Network | np.ndarray):
        self.network = network if isinstance(network, Network) else Network(network)
        self.capacity = capacity.astype(np.int64)
        self.demand = np.zeros(self.network.num_classes, dtype=np.int64)
        self.flow = np.zeros(len(self.network.c_idx), dtype=np.int64)
        self.serves_all = True  # the flow serves all committed demand (see set_demand)
        self._residual: Residual | None = None  # of the flow, until it changes
        self._free: np.ndarray | None = None  # per group, what the flow leaves, until it changes

    @cached_property
    def reach(self) -> np.ndarray:
        """Per class, all the capacity that could ever serve it."""
        return self.capacity @ self.network.eligible

    @property
    def free(self) -> np.ndarray:
        if self._free is None:
            self._free = self.network.free(self.flow, self.capacity)
        return self._free

    @property
    def residual(self) -> Residual:
        if self._residual is None:
            self._residual = self.network.residual(self.flow, self.free)
        return self._residual

    def try_add(self, extra: np.ndarray) -> np.ndarray | None:
        """A flow (per arc) serving the committed demand plus ``extra``, or None if none exists."""
        return self.check(extra).flow

    def check(self, extra: np.ndarray) -> Fit:
        """As :meth:`try_add`, with what a max-flow learnt when one ran: the classes whose
        Hall condition breaks, and the units of ``extra`` short."""
        total = self.demand + extra
        over = np.flatnonzero(total > self.reach)
        if len(over):  # a class alone needs more than all who could serve it
            return Fit(None, frozenset([int(over[0])]), None)
        if not self.serves_all:  # the flow is no base to build on: route everything
            served, flow, blocking = self.network.max_flow(total, self.capacity)
            short = total - self.network.served(flow)
            return Fit(flow, frozenset(), short) if served == int(total.sum()) else Fit(None, blocking, short)
        filled = self.network.fill(self.flow, extra, self.free)
        if filled is not None:
            return Fit(filled, frozenset(), None)
        short, flow, blocking = self.network.augment(self.flow, self.residual, extra)
        return Fit(None, blocking, short) if short.any() else Fit(flow, frozenset(), short)

    def commit(self, extra: np.ndarray, flow: np.ndarray) -> None:
        self.demand = self.demand + extra
        self.flow, self._residual, self._free = flow, None, None

    def set_demand(self, demand: np.ndarray) -> None:
        """Replace the committed demand and route it afresh. It should fit; if it does not,
        checks fall back to routing everything afresh, so they stay exact."""
        self.demand = demand
        served, self.flow = self.network.arc_flow(demand, self.capacity)
        self.serves_all, self._residual, self._free = served == int(demand.sum()), None, None

    def release(self, gone: np.ndarray) -> None:
        """Take demand out again; the remaining demand always still fits."""
        self.set_demand(self.demand - gone)

    def shortfall(self, extra: np.ndarray) -> np.ndarray:
        """Per class, the units of ``extra`` that cannot be served beside the committed
        demand (and, if that does not fit on its own, of the committed demand too)."""
        if not self.serves_all:
            total = self.demand + extra
            _, flow = self.network.arc_flow(total, self.capacity)
            return total - self.network.served(flow)
        return self.network.augment(self.flow, self.residual, extra, cut=False)[0]
