"""Short makespan plans fast: serial schedule generation, double justification and a
genetic search over activity lists, the standard primal heuristics for resource-constrained
project scheduling (Hartmann 1998; Valls, Ballestin & Quintanilla 2005).

CP-SAT proves most PSPLIB-like schedules in a second, but on tightly constrained ones
(60 to 120 jobs, resource strength 0.1 to 0.2) its plans improve slowly from the greedy
one. A few thousand schedules of this search hand it a shorter plan to continue from, which
also caps the makespan variable: 1.3% shorter plans in 60 s on ten such 120-job instances
(BENCHMARKS.md, "a genetic search first").

* An **activity list** orders the projects so that each comes after its predecessors.
* **Serial generation** starts each project in that order at the first period its
  predecessors (with lags), its window and the capacity left allow. Capacity is the
  cumulative relaxation over the Hall sets of the makespan model, so a plan may still break
  capacity for multi-skilled staff: the caller's ``offer`` checks it (makespan.py: by
  max-flow, with the windows and dependencies again) and a plan it refuses is dropped.
* **Double justification**: every project as late as possible (in order of decreasing
  finish), then as early as possible (in order of those late starts). Never longer,
  often shorter.
* **The genetic search**: two-point crossover of two lists (it keeps the predecessors
  first), adjacent swaps as mutation, each child justified and its start order written
  back into its list, and the shortest plans survive.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.problem import ProblemData
from solvers.cpsat.hall import ClassSet, SetCapacity
from solvers.cpsat.precedence import CriticalPaths, topological

POPULATION = 30
STALL = 20  # generations without a shorter plan before the search stops (it has converged)
GIVE_UP = 5  # generations that must find a plan shorter than the one known, or the search stops
MUTATION = 0.05  # the chance of swapping each project with the next in a child's list
NOISE = 0.5  # spread of the random priorities of the first lists, relative to the longest path
SCHEDULE_COST = 2e-5  # deterministic seconds per project for one generated schedule (measured)

Starts = list[int]
_Piece = tuple[int, int, list[tuple[int, int]]]  # offset, length, (set, demand) for each set used


@dataclass(frozen=True)
class _Direction:
    """The scheduling problem in one direction of time: capacity per set and period, and per
    project its pieces (runs of periods with the same demand), window and predecessors."""

    capacity: list[list[int]]  # [set][period]
    pieces: list[list[_Piece]]
    predecessors: list[list[tuple[int, int]]]
    earliest: list[int]
    latest: list[int]
    periods: int


class SerialSchedules:
    """Schedules for one portfolio against the cumulatives over ``sets``."""

    def __init__(self, data: ProblemData, sets: set[ClassSet]):
        order = sorted(sets, key=sorted)
        member = np.zeros((len(data.classes), len(order)), dtype=np.int64)  # class in set
        for r, classes in enumerate(order):
            member[sorted(classes), r] = 1
        capacity = SetCapacity(data).of(order).T if order else np.zeros((0, data.num_periods), np.int64)
        self.n = data.num_projects
        self.length = [int(x) for x in data.length]
        pieces = [_pieces((data.dense_demand(j) @ member).T) for j in range(self.n)]
        self.forward = _Direction(
            capacity.tolist(),
            pieces,
            data.predecessors,
            data.earliest.tolist(),
            data.latest.tolist(),
            data.num_periods,
        )
        self.mirrored = [  # the same pieces, from the project's end
            [(size - offset - n, n, needs) for offset, n, needs in reversed(own)]
            for own, size in zip(pieces, self.length, strict=True)
        ]
        self.successors: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        for j, preds in enumerate(data.predecessors):
            for pred, lag in preds:
                self.successors[pred].append((j, lag))
        self.rank = [0] * self.n  # position in a topological order: ties go predecessors first
        for position, j in enumerate(topological(data)):
            self.rank[j] = position
        self.direct = {(pred, j) for j, preds in enumerate(data.predecessors) for pred, _ in preds}
        self.paths = CriticalPaths(data)

    def generate(self, order: list[int], direction: _Direction | None = None) -> Starts | None:
        """Each project in ``order`` at its first fitting start; None if one cannot start."""
        d = direction or self.forward
        free = [row[:] for row in d.capacity]
        start = [0] * self.n
        length = self.length
        for j in order:
            lo = d.earliest[j]
            for pred, lag in d.predecessors[j]:
                lo = max(lo, start[pred] + length[pred] + lag)
            s = _first_fit(free, d.pieces[j], lo, min(d.latest[j], d.periods - length[j]))
            if s is None:
                return None
            for offset, n, needs in d.pieces[j]:
                for r, q in needs:
                    row = free[r]
                    for t in range(s + offset, s + offset + n):
                        row[t] -= q
            start[j] = s
        return start

    def justify(self, start: Starts) -> Starts:
        """Double justification: right (as late as possible within the makespan), then left."""
        length, rank = self.length, self.rank
        end = self.makespan(start)
        right_order = sorted(range(self.n), key=lambda j: (-(start[j] + length[j]), -rank[j]))
        mirrored = self.generate(right_order, self._backward(end))
        if mirrored is None:
            return start
        right = [end - mirrored[j] - length[j] for j in range(self.n)]
        left = self.generate(sorted(range(self.n), key=lambda j: (right[j], rank[j])))
        return start if left is None or self.makespan(left) > end else left

    def _backward(self, end: int) -> _Direction:
        """The problem mirrored in time about ``end``: successors become predecessors."""
        f, length = self.forward, self.length
        return _Direction(
            [row[:end][::-1] for row in f.capacity],
            self.mirrored,
            self.successors,
            [max(end - last - n, 0) for last, n in zip(f.latest, length, strict=True)],
            [end - first - n for first, n in zip(f.earliest, length, strict=True)],
            end,
        )

    def makespan(self, start: Starts) -> int:
        return max((s + n for s, n in zip(start, self.length, strict=True)), default=0)

    def activity_list(self, priority: np.ndarray) -> list[int]:
        """The projects in order of ``priority`` (smallest first) among those whose
        predecessors are all listed."""
        waiting = [len(p) for p in self.forward.predecessors]
        ready = [(float(priority[j]), j) for j in range(self.n) if waiting[j] == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            _, j = heapq.heappop(ready)
            order.append(j)
            for succ, _ in self.successors[j]:
                waiting[succ] -= 1
                if waiting[succ] == 0:
                    heapq.heappush(ready, (float(priority[succ]), succ))
        return order

    def crossover(self, mother: list[int], father: list[int], rng: np.random.Generator) -> list[int]:
        """Mother's list up to q1, father's order for the next q2 - q1, then mother's."""
        q1, q2 = sorted(int(q) for q in rng.integers(0, self.n + 1, size=2))
        head = mother[:q1]
        taken = set(head)
        middle = [j for j in father if j not in taken][: q2 - q1]
        taken.update(middle)
        return head + middle + [j for j in mother if j not in taken]

    def mutate(self, order: list[int], rng: np.random.Generator) -> None:
        """Swap neighbours at random where neither is the other's direct predecessor
        (neighbours in a valid list are ordered only by a direct arc)."""
        for i in np.flatnonzero(rng.random(self.n - 1) < MUTATION):
            a, b = order[i], order[i + 1]
            if (a, b) not in self.direct:
                order[i], order[i + 1] = b, a


def _pieces(need: np.ndarray) -> list[_Piece]:
    """(offset, length, (set, demand) pairs) of each run of periods with the same demand."""
    found: list[_Piece] = []
    first = 0
    for t in range(1, need.shape[1] + 1):
        if t == need.shape[1] or not np.array_equal(need[:, t], need[:, first]):
            used = [(int(r), int(need[r, first])) for r in np.flatnonzero(need[:, first])]
            if used:
                found.append((first, t - first, used))
            first = t
    return found


def _first_fit(free: list[list[int]], pieces: list[_Piece], lo: int, hi: int) -> int | None:
    """The first start in lo..hi where every piece fits ``free`` in each of its periods.
    Plain Python: a project touches a few sets for a few periods, too few for arrays."""
    s = lo
    while s <= hi:
        clash = _last_clash(free, pieces, s)
        if clash is None:
            return s
        s = clash + 1
    return None


def _last_clash(free: list[list[int]], pieces: list[_Piece], s: int) -> int | None:
    """The latest start that certainly does not fit, given that ``s`` does not (a start up
    to it keeps a piece over the period where ``s`` finds capacity short); None if s fits."""
    worst = None
    for offset, n, needs in pieces:
        first = s + offset
        for r, q in needs:
            row = free[r]
            for t in range(first + n - 1, first - 1, -1):
                if row[t] < q:
                    if worst is None or t - offset > worst:
                        worst = t - offset
                    break
    return worst


def evolve(
    schedules: SerialSchedules,
    seed: int,
    time_left: Callable[[], float],
    spend: Callable[[float], None],
    offer: Callable[[Starts], bool],
    first: Starts | None = None,
) -> None:
    """The genetic search until ``time_left`` runs out. ``offer`` gets each plan shorter than
    any before (and than ``first``) and says whether it was exact (else the search keeps
    looking)."""
    _Genetic(schedules, seed, spend, offer).run(time_left, first)


@dataclass(frozen=True)
class _Member:
    makespan: int
    order: list[int]  # the activity list: the justified plan's projects by start
    starts: tuple[int, ...]


class _Genetic:
    """A population of distinct plans: crossover and mutation make children, the shortest
    survive. Measured on 120-job stand-ins: renewing the population once it has converged
    found no shorter plans in 60 s than stopping there (and leaving the time to CP-SAT)."""

    def __init__(
        self,
        schedules: SerialSchedules,
        seed: int,
        spend: Callable[[float], None],
        offer: Callable[[Starts], bool],
    ):
        self.schedules, self.spend, self.offer = schedules, spend, offer
        self.rng = np.random.default_rng(seed)
        self.best = np.iinfo(np.int64).max
        self.tail = np.array(schedules.paths.tail, dtype=float)

    def run(self, time_left: Callable[[], float], first: Starts | None) -> None:
        """Generations until the time is up or STALL generations find nothing shorter; or
        GIVE_UP, if none has beaten the plan known (``first``, which offers must beat)."""
        s = self.schedules
        lists = [s.activity_list(-self.tail)]  # longest path to the end first
        if first is not None:
            lists.insert(0, self.by_start(first))
            self.best = s.makespan(first)
        to_beat = self.best
        population = self.first_population(lists, time_left)
        generation, stalled = 0, 0
        while len(population) >= 2 and time_left() > 0 and stalled < STALL:
            before = self.best
            population = self.survivors(population + self.children(population, time_left))
            generation += 1
            stalled = 0 if self.best < before else stalled + 1
            if generation >= GIVE_UP and self.best >= to_beat:
                return

    def first_population(self, lists: list[list[int]], time_left: Callable[[], float]) -> list[_Member]:
        """``lists``, then lists by longest path to the end with random noise."""
        s, population = self.schedules, list[_Member]()
        for _ in range(3 * POPULATION):  # a few lists may not fit the windows
            if len(population) >= POPULATION or time_left() <= 0:
                break
            noisy = -self.tail * (1 + NOISE * self.rng.random(s.n))
            member = self.decode(lists.pop(0) if lists else s.activity_list(noisy))
            if member is not None:
                population = self.survivors([*population, member])
        return population

    def children(self, population: list[_Member], time_left: Callable[[], float]) -> list[_Member]:
        s, found = self.schedules, []
        for _ in range(POPULATION // 2):
            if time_left() <= 0:
                break
            i, k = self.rng.choice(len(population), size=2, replace=False)
            for mother, father in ((population[i], population[k]), (population[k], population[i])):
                child = s.crossover(mother.order, father.order, self.rng)
                s.mutate(child, self.rng)
                member = self.decode(child)
                if member is not None:
                    found.append(member)
        return found

    def decode(self, order: list[int]) -> _Member | None:
        """The list's serial schedule, justified, and offered when shorter than any before;
        None if it does not fit or the offer is refused (it breaks capacity: shorter than
        the exact plans, it would crowd them out)."""
        s = self.schedules
        self.spend(3 * SCHEDULE_COST * s.n)  # the schedule and its two justifications
        start = s.generate(order)
        if start is None:
            return None
        start = s.justify(start)
        span = s.makespan(start)
        if span < self.best:
            if not self.offer(start):
                return None
            self.best = span
        return _Member(span, self.by_start(start), tuple(start))

    def by_start(self, start: Starts) -> list[int]:
        return sorted(range(self.schedules.n), key=lambda j: (start[j], self.schedules.rank[j]))

    @staticmethod
    def survivors(members: list[_Member]) -> list[_Member]:
        """The POPULATION shortest distinct plans."""
        distinct = {m.starts: m for m in members}
        return sorted(distinct.values(), key=lambda m: m.makespan)[:POPULATION]
