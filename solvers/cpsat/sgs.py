"""Compiled kernels of serial schedule generation (``serial.py``): the genetic search decodes
tens of thousands of activity lists, and in plain Python each 120-job schedule with its two
justifications took 2.4 ms. Compiled with Numba it takes 0.17 ms, which lets the search
run a larger population for longer in the same time (BENCHMARKS.md, "compiled serial
schedules"). Compiling takes about 4 s, once: the code is cached on disk where Numba finds a
writable place (the package's ``__pycache__``, else the user's cache), and compiled anew in
each process where it finds none.

Every array is int64. A *direction* is the problem in one direction of time:

* ``capacity[set, period]``: what each Hall set can take;
* pieces in compressed rows: project j's pieces are ``piece_ptr[j]:piece_ptr[j + 1]``, each
  with ``offset`` and ``length`` (periods from the project's start) and its needs
  ``need_ptr[k]:need_ptr[k + 1]`` of ``need_qty`` units of set ``need_set``;
* predecessors in compressed rows: ``pred_ptr``, ``pred`` and ``pred_lag``;
* ``earliest`` and ``latest`` start of each project.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
import numpy as np

NONE = -(1 << 62)  # no start: below any start a clash can name


def compiled(function: Callable[..., Any]) -> Any:
    """``function`` compiled, cached on disk where possible (typed Any: Numba's stubs type a
    compiled function as a Dispatcher whose __call__ takes no arguments)."""
    try:
        return numba.njit(cache=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available" (read-only install)
        return numba.njit(function)


@compiled
def serial_schedule(
    order, capacity, piece_ptr, offset, length_of, need_ptr, need_set, need_qty,
    pred_ptr, pred, pred_lag, earliest, latest, length, start,
):  # fmt: skip
    """Each project of ``order`` at its first start that its predecessors (with lags), its
    window and the capacity left allow, written to ``start``; False if one cannot start."""
    free = capacity.copy()
    periods = capacity.shape[1]
    for i in range(order.shape[0]):
        j = order[i]
        lo = earliest[j]
        for e in range(pred_ptr[j], pred_ptr[j + 1]):
            lo = max(lo, start[pred[e]] + length[pred[e]] + pred_lag[e])
        hi = min(latest[j], periods - length[j])
        s = lo
        while s <= hi:
            clash = _last_clash(free, piece_ptr[j], piece_ptr[j + 1], offset, length_of, need_ptr,
                                need_set, need_qty, s)  # fmt: skip
            if clash == NONE:
                break
            s = clash + 1
        if s > hi:
            return False
        for k in range(piece_ptr[j], piece_ptr[j + 1]):
            first = s + offset[k]
            for e in range(need_ptr[k], need_ptr[k + 1]):
                for t in range(first, first + length_of[k]):
                    free[need_set[e], t] -= need_qty[e]
        start[j] = s
    return True


@compiled
def _last_clash(free, first_piece, last_piece, offset, length_of, need_ptr, need_set, need_qty, s):
    """The latest start that certainly does not fit, given that ``s`` does not (a start up to
    it keeps a piece over the period where ``s`` finds capacity short); NONE if ``s`` fits."""
    worst = NONE
    for k in range(first_piece, last_piece):
        first = s + offset[k]
        for e in range(need_ptr[k], need_ptr[k + 1]):
            row, q = need_set[e], need_qty[e]
            for t in range(first + length_of[k] - 1, first - 1, -1):
                if free[row, t] < q:
                    worst = max(worst, t - offset[k])
                    break
    return worst


@compiled
def justify(
    start, capacity, piece_ptr, offset, length_of, need_ptr, need_set, need_qty,
    pred_ptr, pred, pred_lag, earliest, latest, length,
    mirrored_offset, succ_ptr, succ, succ_lag, rank,
):  # fmt: skip
    """Double justification: every project as late as possible within the makespan (by
    decreasing finish), then as early as possible (by those late starts). Never longer: the
    plan itself when a pass fails or would be longer. In mirrored time (``mirrored_offset``:
    each piece's offset from the project's end) successors are the predecessors."""
    n = start.shape[0]
    end = np.max(start + length) if n else 0
    right_order = np.argsort(-((start + length) * n + rank))  # latest finish first
    mirrored = np.zeros(n, dtype=np.int64)
    late = capacity[:, :end][:, ::-1].copy()
    first_mirrored = np.maximum(end - latest - length, 0)
    last_mirrored = end - earliest - length
    if not serial_schedule(right_order, late, piece_ptr, mirrored_offset, length_of, need_ptr, need_set,
                           need_qty, succ_ptr, succ, succ_lag, first_mirrored, last_mirrored, length,
                           mirrored):  # fmt: skip
        return start.copy()
    right = end - mirrored - length
    left = np.zeros(n, dtype=np.int64)
    if not serial_schedule(np.argsort(right * n + rank), capacity, piece_ptr, offset, length_of, need_ptr,
                           need_set, need_qty, pred_ptr, pred, pred_lag, earliest, latest, length,
                           left):  # fmt: skip
        return start.copy()
    if n and np.max(left + length) > end:
        return start.copy()
    return left


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
def mutate(order, swap, succ_ptr, succ):
    """Swap neighbours i and i + 1 where ``swap[i]``, left to right, unless the first is the
    second's direct predecessor (``succ``: each project's successors in compressed rows)."""
    for i in range(order.shape[0] - 1):
        if swap[i] and not _follows(order[i + 1], order[i], succ_ptr, succ):
            order[i], order[i + 1] = order[i + 1], order[i]


@compiled
def _follows(b, a, succ_ptr, succ):
    """Whether b is a direct successor of a."""
    return (succ[succ_ptr[a] : succ_ptr[a + 1]] == b).any()
