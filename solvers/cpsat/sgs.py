"""Compiled kernels of serial schedule generation (``serial.py``): the genetic search decodes
tens of thousands of activity lists, and in plain Python each 120-job schedule with its two
justifications took 2.4 ms. Compiled with Numba it takes 0.17 ms, which lets the search
run a larger population for longer in the same time (BENCHMARKS.md, "compiled serial
schedules"). Compiling takes about 4 s, once: the code is cached on disk where Numba finds a
writable place (the package's ``__pycache__``, else the user's cache), and compiled anew in
each process where it finds none.

Every array is int64: ``capacity[set, period]`` is what each Hall set can take; each project's
``earliest`` and ``latest`` start and its ``length``; its pieces (``Pieces``) and its arcs to
other projects (``Arcs``) in compressed rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numba
import numpy as np

NONE = -(1 << 62)  # no start: below any start a clash can name


class Pieces(NamedTuple):
    """Runs of periods with the same demand: project j's are ``ptr[j]:ptr[j + 1]``, piece k
    from ``offset[k]`` periods after the project's start (or, mirrored, before its end) for
    ``length[k]`` periods, needing ``need_qty`` units of each set ``need_set`` in
    ``need_ptr[k]:need_ptr[k + 1]``."""

    ptr: np.ndarray
    offset: np.ndarray
    length: np.ndarray
    need_ptr: np.ndarray
    need_set: np.ndarray
    need_qty: np.ndarray


class Arcs(NamedTuple):
    """Project j's arcs ``ptr[j]:ptr[j + 1]``: to ``other`` with a lag of ``lag`` periods."""

    ptr: np.ndarray
    other: np.ndarray
    lag: np.ndarray


def compiled(function: Callable[..., Any]) -> Any:
    """``function`` compiled, cached on disk where possible (typed Any: Numba's stubs type a
    compiled function as a Dispatcher whose __call__ takes no arguments)."""
    try:
        return numba.njit(cache=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available" (read-only install)
        return numba.njit(function)


@compiled
def serial_schedule(order, capacity, pieces, before, earliest, latest, length, start):
    """Each project of ``order`` at its first start that the projects ``before`` it (with
    lags), its window and the capacity left allow, written to ``start``; False if one cannot
    start."""
    free = capacity.copy()
    periods = capacity.shape[1]
    for i in range(order.shape[0]):
        j = order[i]
        lo = earliest[j]
        for e in range(before.ptr[j], before.ptr[j + 1]):
            lo = max(lo, start[before.other[e]] + length[before.other[e]] + before.lag[e])
        hi = min(latest[j], periods - length[j])
        s = lo
        while s <= hi:
            clash = _last_clash(free, pieces, j, s)
            if clash == NONE:
                break
            s = clash + 1
        if s > hi:
            return False
        for k in range(pieces.ptr[j], pieces.ptr[j + 1]):
            first = s + pieces.offset[k]
            for e in range(pieces.need_ptr[k], pieces.need_ptr[k + 1]):
                for t in range(first, first + pieces.length[k]):
                    free[pieces.need_set[e], t] -= pieces.need_qty[e]
        start[j] = s
    return True


@compiled
def _last_clash(free, pieces, j, s):
    """The latest start of j that certainly does not fit, given that ``s`` does not (a start
    up to it keeps a piece over the period where ``s`` finds capacity short); NONE if ``s``
    fits."""
    worst = NONE
    for k in range(pieces.ptr[j], pieces.ptr[j + 1]):
        first = s + pieces.offset[k]
        for e in range(pieces.need_ptr[k], pieces.need_ptr[k + 1]):
            row, q = pieces.need_set[e], pieces.need_qty[e]
            for t in range(first + pieces.length[k] - 1, first - 1, -1):
                if free[row, t] < q:
                    worst = max(worst, t - pieces.offset[k])
                    break
    return worst


@compiled
def justify(start, capacity, pieces, mirrored, predecessors, successors, earliest, latest, length, rank):
    """Double justification: every project as late as possible within the makespan (by
    decreasing finish), then as early as possible (by those late starts). Never longer: the
    plan itself when a pass fails or would be longer. The first pass is serial generation in
    mirrored time: the ``mirrored`` pieces (offsets from the project's end), successors first."""
    n = start.shape[0]
    end = np.max(start + length) if n else 0
    right_order = np.argsort(-((start + length) * n + rank))  # latest finish first
    mirrored_start = np.zeros(n, dtype=np.int64)
    late = capacity[:, :end][:, ::-1].copy()
    first, last = np.maximum(end - latest - length, 0), end - earliest - length
    if not serial_schedule(right_order, late, mirrored, successors, first, last, length, mirrored_start):
        return start.copy()
    right = end - mirrored_start - length
    left = np.zeros(n, dtype=np.int64)
    left_order = np.argsort(right * n + rank)
    if not serial_schedule(left_order, capacity, pieces, predecessors, earliest, latest, length, left):
        return start.copy()
    if n and np.max(left + length) > end:
        return start.copy()
    return left


@compiled
def decode(order, capacity, pieces, mirrored, predecessors, successors, earliest, latest, length, rank):
    """The list's serial schedule, justified; empty if it does not fit. One call from Python
    rather than two: Numba's dispatch of named tuples costs microseconds a call (133 us a
    120-job decode, against 125 us with every array passed on its own)."""
    start = np.zeros(order.shape[0], dtype=np.int64)
    if not serial_schedule(order, capacity, pieces, predecessors, earliest, latest, length, start):
        return np.zeros(0, dtype=np.int64)
    return justify(
        start, capacity, pieces, mirrored, predecessors, successors, earliest, latest, length, rank
    )


@compiled
def crossover(mother, father, q1, q2):
    """Mother's list up to q1, father's order for the next q2 - q1, then mother's."""
    n = mother.shape[0]
    child = np.empty(n, dtype=np.int64)
    taken = np.zeros(n, dtype=np.bool_)
    size = 0
    for i in range(q1):
        child[size] = mother[i]
        taken[mother[i]] = True
        size += 1
    for j in father:
        if size >= q2:
            break
        if not taken[j]:
            child[size] = j
            taken[j] = True
            size += 1
    for j in mother:
        if not taken[j]:
            child[size] = j
            size += 1
    return child


@compiled
def mutate(order, swap, picks, places, predecessors, successors):
    """Swap neighbours i and i + 1 where ``swap[i]``, left to right, unless the first is the
    second's direct predecessor; then move the project at each position of ``picks`` to a
    place drawn by ``places`` (0 to 1) among those its predecessors and successors allow."""
    for i in range(order.shape[0] - 1):
        a, b = order[i], order[i + 1]
        if swap[i] and not (successors.other[successors.ptr[a] : successors.ptr[a + 1]] == b).any():
            order[i], order[i + 1] = b, a
    for m in range(picks.shape[0]):
        _move(order, picks[m], places[m], predecessors, successors)


@compiled
def _move(order, i, place, predecessors, successors):
    """The project at position i moved to the place drawn by ``place`` (0 to 1) between its
    last predecessor and its first successor in the list (its own place included)."""
    n = order.shape[0]
    position = np.empty(n, dtype=np.int64)
    for k in range(n):
        position[order[k]] = k
    j = order[i]
    lo, hi = 0, n - 1
    for e in range(predecessors.ptr[j], predecessors.ptr[j + 1]):
        lo = max(lo, position[predecessors.other[e]] + 1)
    for e in range(successors.ptr[j], successors.ptr[j + 1]):
        hi = min(hi, position[successors.other[e]] - 1)
    to = min(lo + int(place * (hi - lo + 1)), hi)
    for k in range(i, to, -1):  # moving left: those between shift right
        order[k] = order[k - 1]
    for k in range(i, to):  # moving right: those between shift left
        order[k] = order[k + 1]
    order[to] = j
