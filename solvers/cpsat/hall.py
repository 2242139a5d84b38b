"""Capacity as Hall cuts, added lazily: a model of start decisions only.

Demand in a period can be served by the staff groups exactly when, for every set S of
demand classes, the demand of S is at most the capacity of the groups that can serve
some class in S (Hall's theorem; max-flow min-cut). Writing flows explicitly gives CP-SAT
thousands of integer variables that its neighbourhood search must move together, and it
stalls; writing these cuts instead leaves only start decisions.

All subsets are too many, so we start from the natural ones (each class; each skill at
each level and above; everything) and add the sets that a minimum cut finds violated in
the solver's solutions. Every plan returned is checked by max-flow, so it is exact; the
model is a relaxation until the cuts suffice, so its bound is always valid.
"""

from __future__ import annotations

import numpy as np

from engine.demand import class_demand
from engine.problem import ProblemData
from solvers.flow import Network

ClassSet = frozenset[int]


def initial_sets(data: ProblemData) -> set[ClassSet]:
    """Each class alone, each skill from each level up, and all classes together."""
    sets: set[ClassSet] = {frozenset([c]) for c in range(len(data.classes))}
    for k in range(len(data.skill_ids)):
        levels = sorted({cls.min_level for cls in data.classes if cls.skill == k})
        for level in levels:
            sets.add(
                frozenset(
                    c for c, cls in enumerate(data.classes) if cls.skill == k and cls.min_level >= level
                )
            )
    if data.classes:
        sets.add(frozenset(range(len(data.classes))))
    return sets


class FlowCheck:
    """Checks a schedule's capacity exactly, naming the class sets where it breaks."""

    def __init__(self, data: ProblemData):
        self.data = data
        self.network = Network(data.group_eligible)

    def violations(self, starts: dict[int, int]) -> set[ClassSet]:
        """Class sets whose Hall cut a period of ``starts`` breaks (empty: the plan fits)."""
        load = class_demand(self.data, starts)
        found: set[ClassSet] = set()
        for t in np.flatnonzero(load.sum(axis=1)):
            _, blocking = self.network.blocking_classes(load[t], self.data.group_capacity[:, t])
            if blocking:
                found.add(blocking)
        return found


class SetCapacity:
    """Per class set and period, the capacity of every group able to serve some class in
    it; cached, because neighbourhood steps ask for the same sets again and again."""

    def __init__(self, data: ProblemData):
        self.data = data
        self._cache: dict[ClassSet, np.ndarray] = {}

    def of(self, order: list[ClassSet]) -> np.ndarray:
        """(period, set) capacities for the sets in ``order``."""
        missing = [s for s in order if s not in self._cache]
        if missing:
            member = np.zeros((len(self.data.classes), len(missing)))
            for i, classes in enumerate(missing):
                member[sorted(classes), i] = 1.0
            # Floats for BLAS (exact for integers below 2**53), results back as integers.
            reach = (self.data.group_eligible.astype(np.float64) @ member) > 0
            cap = np.rint(self.data.group_capacity.T.astype(np.float64) @ reach).astype(np.int64)
            for i, classes in enumerate(missing):
                self._cache[classes] = cap[:, i]
        return np.stack([self._cache[s] for s in order], axis=1)
