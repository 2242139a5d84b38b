"""The precedence graph of a portfolio and what follows from it for scheduling: how early
each project can start and how long must follow it (critical paths), which pairs must
run one after the other, and which projects are interchangeable (symmetry)."""

from __future__ import annotations

import numpy as np

from engine.problem import ProblemData


class CriticalPaths:
    """Longest paths through the precedence graph: how early each project can start
    (``head``), how long from its start to the end at least (``tail``), and the makespan
    no capacity could beat (``lower_bound``)."""

    def __init__(self, data: ProblemData):
        n = data.num_projects
        length = [int(x) for x in data.length]
        after = successors(data)
        order = topological(data)
        self.head = [int(data.earliest[j]) for j in range(n)]
        for j in order:
            for succ, lag in after[j]:
                self.head[succ] = max(self.head[succ], self.head[j] + length[j] + lag)
        self.tail = list(length)
        for j in reversed(order):
            for succ, lag in after[j]:
                self.tail[j] = max(self.tail[j], length[j] + lag + self.tail[succ])
        self.lower_bound = max((self.head[j] + length[j] for j in range(n)), default=0)
        self.last = [j for j in range(n) if not after[j]]
        self.ordered = np.zeros((n, n), dtype=bool)  # [a, b]: one of a, b must follow the other
        for j in reversed(order):
            for succ, _ in after[j]:
                self.ordered[j] |= self.ordered[succ]
                self.ordered[j, succ] = True
        self.ordered |= self.ordered.T


def successors(data: ProblemData) -> list[list[tuple[int, int]]]:
    """Each project's (successor, lag) arcs: the predecessors turned round."""
    after: list[list[tuple[int, int]]] = [[] for _ in range(data.num_projects)]
    for j, preds in enumerate(data.predecessors):
        for pred, lag in preds:
            after[pred].append((j, lag))
    return after


def topological(data: ProblemData) -> list[int]:
    done: set[int] = set()
    order: list[int] = []

    def visit(j: int) -> None:
        stack = [(j, iter(data.predecessors[j]))]
        while stack:
            node, preds = stack[-1]
            nxt = next(preds, None)
            if nxt is None:
                stack.pop()
                if node not in done:
                    done.add(node)
                    order.append(node)
            elif nxt[0] not in done:
                stack.append((nxt[0], iter(data.predecessors[nxt[0]])))

    for j in range(data.num_projects):
        visit(j)
    return order


def interchangeable(data: ProblemData) -> list[list[int]]:
    """Groups of projects that could swap starts in any plan: same demand, window, lags,
    predecessors and successors, and not fixed."""
    after = successors(data)
    groups: dict[tuple, list[int]] = {}
    for j in range(data.num_projects):
        if data.fixed[j]:
            continue
        key = (
            int(data.earliest[j]),
            int(data.latest[j]),
            data.dense_demand(j).tobytes(),
            int(data.length[j]),
            tuple(sorted(data.predecessors[j])),
            tuple(sorted(after[j])),
        )
        groups.setdefault(key, []).append(j)
    return [g for g in groups.values() if len(g) > 1]


def symmetric_order(data: ProblemData, starts: dict[int, int]) -> dict[int, int]:
    """The same plan with interchangeable projects' starts swapped into index order."""
    ordered = dict(starts)
    for group in interchangeable(data):
        for j, s in zip(group, sorted(starts[j] for j in group), strict=True):
            ordered[j] = s
    return ordered
