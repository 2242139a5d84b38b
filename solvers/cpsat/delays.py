"""Least delays between ordered projects: stronger precedences for the makespan model.

Where two or more branches of the precedence graph run from project a to project b, the
projects between them share the capacity, so b must start some time after a finishes,
often well beyond the longest branch. That least delay is the makespan of a small
scheduling problem: the projects between a and b alone, with the capacity. Solving these
problems smallest first (each using the delays already found inside it) and adding
``start[b] >= finish[a] + delay`` to the whole model gives CP-SAT's propagation bounds it
cannot find on its own; on the hardest PSPLIB j30 instances it turns searches that run out
of time into proofs. The idea is from OR-Tools' RCPSP example (``rcpsp_sat.py``).

Every delay is a valid lower bound whatever the sub-problem leaves out: it drops the other
projects, windows and fixed starts (spans from the virtual start keep earliest starts, which
are absolute there), and gives each capacity set its peak capacity in every
period, so its least makespan is never above the real one; and only the sub-problem's
proven bound is used, never an unproven solution.

Only delays longer than the span's longest branch are kept: the others repeat what the
precedences already propagate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from ortools.sat.python import cp_model

from engine.problem import ProblemData
from solvers.cpsat.hall import ClassSet
from solvers.cpsat.precedence import topological

START, END = -1, -2  # the virtual project before every project and the one after them all
MAX_PROJECTS = 600  # the spans come from (projects x projects) matrix products
MAX_SPANS = 5000  # the smallest first: larger sub-problems rarely finish in the time anyway
PER_SPAN_SHARE = 0.25  # of the delay budget left: no one sub-problem takes it all
# Deterministic time each sub-problem is charged beyond CP-SAT's own count: building it and
# setting up the solver take about 2 ms of wall time, which CP-SAT does not count (measured
# on a ProGen j120 instance: 747 spans, 0.03 deterministic seconds, 1.6 s of wall time).
SPAN_OVERHEAD = 0.003
WALL_SAFETY = 30  # deterministic mode still stops at this many times its budget in wall time (as _solver)

Delays = dict[tuple[int, int], int]  # (a, b) -> periods from a's finish to b's start at least


class Clock(Protocol):
    """Time left to spend: wall-clock, or CP-SAT's deterministic time when ``deterministic``."""

    deterministic: bool

    def left(self) -> float: ...

    def spend(self, deterministic_time: float) -> None: ...


@dataclass(frozen=True)
class Span:
    """Projects ``inside`` are after ``first`` and before ``last`` (either may be virtual)."""

    first: int
    last: int
    inside: tuple[int, ...]


def spans(data: ProblemData) -> list[Span]:
    """Pairs joined by at least two branches with two or more projects between them,
    fewest projects first (at most ``MAX_SPANS``). Pairs with one branch out of the first
    or into the last are left out: the span from that branch's end is as strong."""
    n = data.num_projects
    if n == 0 or n > MAX_PROJECTS:
        return []
    direct = _graph(data)
    after = _closure(direct, topological(data), n)
    reach = (after | np.eye(n + 2, dtype=bool)).astype(np.float64)  # b is a or after it
    edges, later = direct.astype(np.float64), after.astype(np.float64)
    out_branches = edges @ reach  # [a, b]: successors of a that reach b (counts: exact in floats)
    in_branches = reach @ edges  # [a, b]: predecessors of b reached from a
    between = later @ later  # [a, b]: projects between a and b
    candidates = (out_branches >= 2) & (in_branches >= 2) & (between >= 2) & after
    candidates[n, n + 1] = False  # the whole portfolio is the main solve
    pairs = sorted(zip(*np.nonzero(candidates), strict=True), key=lambda ab: (between[ab], ab))
    found = []
    for a, b in pairs[:MAX_SPANS]:
        inside = np.nonzero(after[a, :n] & after[:n, b])[0]
        found.append(Span(_virtual(int(a), n), _virtual(int(b), n), tuple(int(j) for j in inside)))
    return found


def _graph(data: ProblemData) -> np.ndarray:
    """direct[a, b]: b depends on a; projects, then START (index n) and END (n + 1)."""
    n = data.num_projects
    direct = np.zeros((n + 2, n + 2), dtype=bool)
    for j, preds in enumerate(data.predecessors):
        for pred, _ in preds:
            direct[pred, j] = True
    direct[n, :n] = ~direct[:n, :n].any(axis=0)  # START before every project with no predecessor
    direct[:n, n + 1] = ~direct[:n, :n].any(axis=1)  # END after every project with no successor
    return direct


def _closure(direct: np.ndarray, order: list[int], n: int) -> np.ndarray:
    """after[a, b]: b follows a through one or more dependencies, row by row from the end."""
    after = np.zeros_like(direct)
    for node in [*reversed(order), n]:  # END has no successors, START comes first
        successors = direct[node]
        after[node] = successors | after[successors].any(axis=0)
    return after


def _virtual(node: int, n: int) -> int:
    return {n: START, n + 1: END}.get(node, node)


def least_delays(data: ProblemData, hall_sets: set[ClassSet], spans_: list[Span], clock: Clock) -> Delays:
    """The least delay of each span, in order, while ``clock`` has time left; spans with no
    proven bound in time, or none beyond their longest branch, are left out."""
    delays: Delays = {}
    known = _Known()
    order = topological(data)
    deadline = time.perf_counter() + WALL_SAFETY * max(clock.left(), 0.1)
    for span in spans_:
        left = clock.left()
        if left <= 0.01 or time.perf_counter() > deadline:
            break
        built = _SpanModel(data, hall_sets, span, known, order)
        if built.model is not None:
            delay = _least_wait(built.model, left * PER_SPAN_SHARE, clock)
            if delay is not None and delay > built.longest_branch:
                delays[(span.first, span.last)] = delay
                known.add(span.first, span.last, delay)
        clock.spend(SPAN_OVERHEAD)
    return delays


def _least_wait(model: cp_model.CpModel, limit: float, clock: Clock) -> int | None:
    """The sub-problem's proven bound, or None when the solver proves nothing in time.
    Presolve and the LP are off: on these small problems they cost more than they prove
    (measured on PSPLIB j3029_3: the same delays in 2.5 s rather than 11.7 s)."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    p.cp_model_presolve = False
    p.linearization_level = 0
    if clock.deterministic:
        p.max_deterministic_time = max(limit, 0.01)
    else:
        p.max_time_in_seconds = max(limit, 0.01)
    status = solver.solve(model)
    clock.spend(solver.deterministic_time)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return int(solver.best_objective_bound)
    return None


class _Known:
    """The delays found so far, by the project they follow (spans look up only their own)."""

    def __init__(self) -> None:
        self.after: dict[int, list[tuple[int, int]]] = {}

    def add(self, first: int, last: int, delay: int) -> None:
        self.after.setdefault(first, []).append((last, delay))

    def within(self, first: int, inside: set[int], last: int) -> list[tuple[int, int, int]]:
        """(a, b, delay) with a the span's first or inside it, b inside it or its last."""
        return [
            (a, b, d)
            for a in [first, *inside]
            for b, d in self.after.get(a, ())
            if b in inside or (b == last and a != first)
        ]


class _SpanModel:
    """The projects of a span, from ``first``'s finish (time 0) until ``last`` may start."""

    def __init__(
        self, data: ProblemData, hall_sets: set[ClassSet], span: Span, known: _Known, order: list[int]
    ):
        self.data, self.span = data, span
        inside = set(span.inside)
        horizon = self._horizon(inside)
        model = cp_model.CpModel()
        self.starts = {j: model.new_int_var(self._earliest(j), horizon, f"s{j}") for j in span.inside}
        self.wait = model.new_int_var(0, horizon, "wait")  # from first's finish to last's start
        for j in span.inside:
            self._after(model, j, inside)
        self._known(model, known.within(span.first, inside, span.last))
        self.longest_branch = self._longest_branch([j for j in order if j in inside], inside)
        self.model: cp_model.CpModel | None = model
        if not all(self._capacity(model, classes) for classes in sorted(hall_sets, key=sorted)):
            self.model = None  # some work exceeds a set's capacity alone: nothing to learn here
            return
        model.minimize(self.wait)

    def _horizon(self, inside: set[int]) -> int:
        """Long enough for the projects one after another, with every lag."""
        data = self.data
        lags = sum(lag for j in inside for _, lag in data.predecessors[j])
        lags += sum(lag for j, preds in enumerate(data.predecessors) for p, lag in preds if p in inside)
        earliest = max((self._earliest(j) for j in inside), default=0)
        return earliest + lags + int(sum(int(data.length[j]) for j in inside))

    def _earliest(self, j: int) -> int:
        """From the first project's finish; from period 0 (with the window) for START."""
        return int(self.data.earliest[j]) if self.span.first == START else 0

    def _after(self, model: cp_model.CpModel, j: int, inside: set[int]) -> None:
        data, start = self.data, self.starts[j]
        for pred, lag in data.predecessors[j]:
            if pred in inside:
                model.add(start >= self.starts[pred] + int(data.length[pred]) + lag)
            elif pred == self.span.first:
                model.add(start >= lag)
        model.add(self.wait >= start + int(data.length[j]) + self._lag_to_last(j))

    def _lag_to_last(self, j: int) -> int:
        if self.span.last == END:
            return 0
        return max((lag for p, lag in self.data.predecessors[self.span.last] if p == j), default=0)

    def _known(self, model: cp_model.CpModel, delays: list[tuple[int, int, int]]) -> None:
        """Delays already found between projects of this span, and from first or to last."""
        length = self.data.length
        for a, b, d in delays:
            if a == self.span.first:
                model.add(self.starts[b] >= d)
            elif b == self.span.last:
                model.add(self.wait >= self.starts[a] + int(length[a]) + d)
            else:
                model.add(self.starts[b] >= self.starts[a] + int(length[a]) + d)

    def _longest_branch(self, in_order: list[int], inside: set[int]) -> int:
        """The least wait with no capacity limit: the longest branch, with lags (and the
        earliest starts, from the virtual start)."""
        data, wait = self.data, 0
        finish: dict[int, int] = {}
        for j in in_order:
            start = self._earliest(j)
            for pred, lag in data.predecessors[j]:
                if pred in inside:
                    start = max(start, finish[pred] + lag)
                elif pred == self.span.first:
                    start = max(start, lag)
            finish[j] = start + int(data.length[j])
            wait = max(wait, finish[j] + self._lag_to_last(j))
        return wait

    def _capacity(self, model: cp_model.CpModel, classes: ClassSet) -> bool:
        """A cumulative at the set's peak capacity; False if one piece of work exceeds it."""
        data = self.data
        columns = sorted(classes)
        serving = data.group_eligible[:, columns].any(axis=1)
        peak = int(data.group_capacity[serving].sum(axis=0).max(initial=0))
        intervals, demands = [], []
        for j, start in self.starts.items():
            dense = data.dense_demand(j)[:, columns].sum(axis=1)
            for offset, length, need in _runs(dense):
                if need > peak:
                    return False
                intervals.append(model.new_fixed_size_interval_var(start + offset, length, ""))
                demands.append(need)
        if intervals and sum(demands) > peak:
            model.add_cumulative(intervals, demands, peak)
        return True


def _runs(need: np.ndarray) -> list[tuple[int, int, int]]:
    """(offset, length, units) of each run of periods with the same non-zero need."""
    runs, first = [], 0
    for t in range(1, len(need) + 1):
        if t == len(need) or need[t] != need[first]:
            if need[first] > 0:
                runs.append((first, t - first, int(need[first])))
            first = t
    return runs
