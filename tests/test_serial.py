"""Serial schedule generation, double justification and the genetic search (serial.py)."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.demand import class_demand
from engine.problem import build
from engine.validation import validate
from solvers.cpsat import serial
from solvers.cpsat.hall import initial_sets
from solvers.cpsat.makespan import suits
from solvers.cpsat.serial import SerialSchedules, evolve
from solvers.greedy import schedule_objective
from tests.conftest import tiny
from tests.strategies import schedules_to_make
from tests.test_cpsat import feasible, one
from tests.test_makespan import hard_60_jobs

MAKESPAN = {"objective": "makespan"}


def every_class_set(data):
    """All non-empty sets of demand classes: by Hall's theorem their cumulatives are exact."""
    classes = range(len(data.classes))
    return {frozenset(s) for k in range(1, len(classes) + 1) for s in itertools.combinations(classes, k)}


def within_sets(data, sets, starts) -> bool:
    """Windows, dependencies with lags, and each set's demand within the capacity of the
    groups serving any class in it, checked from the problem's arrays directly."""
    for j, s in starts.items():
        if not data.earliest[j] <= s <= data.latest[j] or s + data.length[j] > data.num_periods:
            return False
        if any(s < starts[p] + data.length[p] + lag for p, lag in data.predecessors[j]):
            return False
    load = class_demand(data, starts)  # (periods, classes)
    for classes in sets:
        columns = sorted(classes)
        serving = data.group_eligible[:, columns].any(axis=1)
        if (load[:, columns].sum(axis=1) > data.group_capacity[serving].sum(axis=0)).any():
            return False
    return True


def small_enough(data) -> bool:
    return np.prod([int(data.latest[j] - data.earliest[j]) + 1 for j in range(data.num_projects)]) <= 2000


def makespan_data(raw):
    scenario, _ = validate(raw)
    if scenario is None or scenario.policy.objective != "makespan":
        return None
    data = build(scenario)
    return data if suits(data) else None  # the scenarios the interval model (and this) serves


def shortest(data) -> float | None:
    """The brute-force optimum: every combination of starts (every project runs)."""
    options = [range(int(data.earliest[j]), int(data.latest[j]) + 1) for j in range(data.num_projects)]
    plans = (dict(enumerate(starts)) for starts in itertools.product(*options))
    return max((schedule_objective(data, p) for p in plans if feasible(data, p)), default=None)


def topological_orders(schedules: SerialSchedules):
    for order in itertools.permutations(range(schedules.n)):
        position = {j: i for i, j in enumerate(order)}
        if all(position[p] < position[j] for j in order for p, _ in schedules.predecessors[j]):
            yield list(order)


class Reference:
    """Serial generation and double justification written plainly from their definitions:
    start by start and period by period, in forward time, with no pieces, jumps or mirrored
    time, as the compiled kernels (sgs.py) have. The kernels must give the same plans."""

    def __init__(self, data, sets, rank):
        self.data, self.rank = data, rank
        self.capacity, self.need = [], []
        for classes in sets:
            columns = sorted(classes)
            serving = data.group_eligible[:, columns].any(axis=1)
            self.capacity.append(data.group_capacity[serving].sum(axis=0))
            self.need.append([data.dense_demand(j)[:, columns].sum(axis=1) for j in range(data.num_projects)])
        self.length = [int(n) for n in data.length]

    def fits(self, free, j, s):
        periods = slice(s, s + self.length[j])
        return all((row[periods] >= need[j]).all() for row, need in zip(free, self.need, strict=True))

    def place(self, free, j, s):
        for row, need in zip(free, self.need, strict=True):
            row[s : s + self.length[j]] -= need[j]

    def generate(self, order):
        """Each project at its first start after its predecessors (and lags) that fits."""
        d, free, start = self.data, [c.copy() for c in self.capacity], {}
        for j in order:
            lo = max([int(d.earliest[j])] + [start[p] + self.length[p] + lag for p, lag in d.predecessors[j]])
            hi = min(int(d.latest[j]), d.num_periods - self.length[j])
            s = next((s for s in range(lo, hi + 1) if self.fits(free, j, s)), None)
            if s is None:
                return None
            self.place(free, j, s)
            start[j] = s
        return [start[j] for j in range(d.num_projects)]

    def justify(self, start):
        """By latest finish first, each at its last start that ends by the makespan, before its
        successors (and lags) and fits; then by those starts, each at its first (generate)."""
        d, n = self.data, self.data.num_projects
        end = max(s + self.length[j] for j, s in enumerate(start))
        free, late = [c[:end].copy() for c in self.capacity], {}
        for j in sorted(range(n), key=lambda j: (-(start[j] + self.length[j]), -self.rank[j])):
            hi = min(int(d.latest[j]), end - self.length[j])
            for k, preds in enumerate(d.predecessors):
                hi = min([hi] + [late[k] - lag - self.length[j] for p, lag in preds if p == j and k in late])
            s = next((s for s in range(hi, int(d.earliest[j]) - 1, -1) if self.fits(free, j, s)), None)
            if s is None:
                return start
            self.place(free, j, s)
            late[j] = s
        left = self.generate(sorted(range(n), key=lambda j: (late[j], self.rank[j])))
        if left is None or max(s + self.length[j] for j, s in enumerate(left)) > end:
            return start
        return left


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules_to_make(max_projects=8), st.integers(0, 2**16), st.booleans())
def test_the_compiled_kernels_give_the_plans_of_the_plain_definitions(raw, seed, every):
    data = makespan_data(raw)
    if data is None:
        return
    sets = every_class_set(data) if every else initial_sets(data)
    schedules = SerialSchedules(data, sets)
    reference = Reference(data, sets, schedules.rank)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        order = schedules.activity_list(rng.random(schedules.n))
        start = schedules.generate(order)
        assert start == reference.generate(order)
        if start is not None:
            assert schedules.justify(start) == reference.justify(start)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules_to_make(max_projects=7), st.integers(0, 2**16))
def test_schedules_and_their_justification_keep_every_rule_of_the_relaxation(raw, seed):
    data = makespan_data(raw)
    if data is None:
        return
    sets = initial_sets(data)
    schedules = SerialSchedules(data, sets)
    rng = np.random.default_rng(seed)
    for _ in range(5):
        order = schedules.activity_list(rng.random(schedules.n))
        start = schedules.generate(order)
        if start is None:
            continue
        assert within_sets(data, sets, dict(enumerate(start)))
        justified = schedules.justify(start)
        assert within_sets(data, sets, dict(enumerate(justified)))
        assert schedules.makespan(justified) <= schedules.makespan(start)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules_to_make(max_projects=4))
def test_some_activity_list_gives_an_optimal_plan(raw):
    """Serial generation yields active schedules, and some active schedule is optimal: over
    every valid list, with every class set's cumulative (exact), the shortest schedule
    generated is the brute-force optimum, and every schedule passes the exact check."""
    data = makespan_data(raw)
    if data is None or not small_enough(data):
        return
    schedules = SerialSchedules(data, every_class_set(data))
    found = []
    for order in topological_orders(schedules):
        start = schedules.generate(order)
        if start is not None:
            assert feasible(data, dict(enumerate(start)))
            found.append(schedule_objective(data, dict(enumerate(start))))
    best = shortest(data)
    assert (max(found) if found else None) == best


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules_to_make(max_projects=7), st.integers(0, 2**16))
def test_crossover_and_mutation_keep_predecessors_first(raw, seed):
    data = makespan_data(raw)
    if data is None:
        return
    schedules = SerialSchedules(data, initial_sets(data))
    rng = np.random.default_rng(seed)
    mother = schedules.activity_list(rng.random(schedules.n))
    father = schedules.activity_list(rng.random(schedules.n))
    for _ in range(10):
        child = schedules.crossover(mother, father, rng)
        schedules.mutate(child, rng)
        assert sorted(child) == list(range(schedules.n))
        position = {j: i for i, j in enumerate(child)}
        assert all(position[p] < position[j] for j in child for p, _ in data.predecessors[j])


def three_projects():
    """Ann has 10 hours a week; a: 6 h for two weeks, b: all 10 h for three, c: 2 h for three."""
    staff = [{"id": "ann", "fte": 1.0, "skills": {"ba": 3}}]
    projects = [
        {"id": pid, "phases": [{"periods": weeks, "demand": [{"skill": "ba", "hours": hours}]}]}
        for pid, weeks, hours in (("a", 2, 6), ("b", 3, 10), ("c", 3, 2))
    ]
    raw = tiny(staff=staff, projects=projects, policy=MAKESPAN)
    raw["calendar"]["periods"] = 12
    return build(validate(raw)[0])


def test_justification_closes_a_gap_the_serial_schedule_leaves():
    # Listed a, b, c: a in weeks 0-1; b after it, weeks 2-4; c fits beside a but runs into
    # b, so it waits for b: weeks 5-7, 8 weeks in all. As late as possible, b goes first
    # (weeks 0-2), and a and c run side by side after it: 6 weeks, the optimum.
    data = three_projects()
    schedules = SerialSchedules(data, initial_sets(data))
    start = schedules.generate([0, 1, 2])
    assert start == [0, 2, 5] and schedules.makespan(start) == 8
    justified = schedules.justify(start)
    assert justified == [3, 0, 3] and schedules.makespan(justified) == 6
    assert feasible(data, dict(enumerate(justified)))


def test_the_genetic_search_offers_ever_shorter_plans_and_is_repeatable():
    staff = [{"id": "ann", "fte": 1.0, "skills": {"ba": 3}}, {"id": "bob", "fte": 1.0, "skills": {"dev": 3}}]
    projects = [
        {
            "id": f"p{i}",
            "phases": [
                {"periods": 1 + i % 3, "demand": [{"skill": "ba" if i % 2 else "dev", "hours": 3 + i % 5}]}
            ],
            **({"depends_on": [f"p{i // 2}"]} if i > 1 and i % 3 == 0 else {}),
        }
        for i in range(12)
    ]
    raw = tiny(staff=staff, projects=projects, policy=MAKESPAN)
    raw["calendar"]["periods"] = 40
    data = build(validate(raw)[0])

    def run(seed):
        offered, spent = [], [0.0]
        schedules = SerialSchedules(data, initial_sets(data))

        def offer(start):
            assert feasible(data, dict(enumerate(start)))
            offered.append(schedules.makespan(start))
            return True

        evolve(schedules, seed, lambda: 0.05 - spent[0], lambda s: spent.__setitem__(0, spent[0] + s), offer)
        return offered

    offered = run(seed=1)
    assert offered and offered == sorted(offered, reverse=True) and len(set(offered)) == len(offered)
    assert run(seed=1) == offered


def test_the_search_gives_up_when_it_cannot_beat_the_plan_known():
    """Handed an optimal plan, it offers nothing and stops after GIVE_UP generations (of
    POPULATION children each, after a first population: at most 3 x POPULATION lists, as
    few distinct plans exist, so the population does not grow) rather than spend its whole
    share, which a proof could use."""
    data = three_projects()
    schedules = SerialSchedules(data, initial_sets(data))
    offered, decoded = [], [0]

    def spend(_seconds):
        decoded[0] += 1

    evolve(schedules, 0, lambda: 1e9, spend, lambda start: offered.append(start) or True, [3, 0, 3])
    assert offered == []
    assert decoded[0] == 3 * serial.POPULATION + serial.GIVE_UP * serial.POPULATION


def test_crossover_takes_the_mothers_head_the_fathers_order_then_the_mothers():
    data = build(validate(tiny(projects=[one(id=f"p{i}") for i in range(8)]))[0])
    schedules = SerialSchedules(data, initial_sets(data))
    mother, father = list(range(8)), list(reversed(range(8)))
    rng = np.random.default_rng(0)
    children = [schedules.crossover(mother, father, rng) for _ in range(50)]
    for child in children:
        assert any(
            child
            == mother[:q1] + [j for j in father if j not in mother[:q1]][: q2 - q1] + rest(mother, child, q2)
            for q1 in range(9)
            for q2 in range(q1, 9)
        )
    assert any(child not in (mother, father) for child in children)


def rest(mother, child, q2):
    return [j for j in mother if j not in child[:q2]]


def test_mutation_swaps_neighbours_unless_one_is_the_others_predecessor(monkeypatch):
    monkeypatch.setattr(serial, "MUTATION", 1.0)  # every neighbour pair, left to right
    monkeypatch.setattr(serial, "SHIFTS", 0)
    free = [one(id=f"p{i}") for i in range(4)]
    schedules = SerialSchedules(build(validate(tiny(projects=free))[0]), set())
    order = [0, 1, 2, 3]
    schedules.mutate(order, np.random.default_rng(0))
    assert order == [1, 2, 3, 0]  # p0 carried to the end
    chained = [one(id="p0"), one(id="p1", depends_on=["p0"]), one(id="p2"), one(id="p3")]
    schedules = SerialSchedules(build(validate(tiny(projects=chained))[0]), set())
    order = [0, 1, 2, 3]
    schedules.mutate(order, np.random.default_rng(0))
    assert order == [0, 2, 3, 1]  # p1 never before p0


def test_a_move_reaches_every_place_between_predecessors_and_successors_and_no_other():
    # b follows a and precedes f; c, d and e are free. In the list a c b d e f, b may go
    # anywhere from just after a (place 1) to just before f (place 4).
    projects = [
        one(id="a"),
        one(id="b", depends_on=["a"]),
        one(id="c"),
        one(id="d"),
        one(id="e"),
        one(id="f", depends_on=["b"]),
    ]
    schedules = SerialSchedules(build(validate(tiny(projects=projects))[0]), set())
    a, b, c, d, e, f = range(6)
    reached = {}
    for place in np.linspace(0, 0.999, 40):
        order = [a, c, b, d, e, f]
        schedules.move(order, 2, float(place))
        reached[order.index(b)] = order
        assert [j for j in order if j != b] == [a, c, d, e, f]  # the others keep their order
    assert sorted(reached) == [1, 2, 3, 4]
    assert reached[1] == [a, b, c, d, e, f] and reached[4] == [a, c, d, e, b, f]


def test_a_move_keeps_a_project_after_all_its_predecessors_whatever_their_order():
    # b follows both c and a (arcs in that order); listed a c b, b cannot move at all.
    projects = [one(id="a"), one(id="b", depends_on=["c", "a"]), one(id="c")]
    schedules = SerialSchedules(build(validate(tiny(projects=projects))[0]), set())
    a, b, c = range(3)
    for place in (0.0, 0.5, 0.999):
        order = [a, c, b]
        schedules.move(order, 2, place)
        assert order == [a, c, b]
    with pytest.raises(IndexError):
        schedules.move([a, c, b], 3, 0.0)


def test_moves_find_shorter_plans_than_swaps_alone_in_as_many_decodes(monkeypatch):
    """On a tightly constrained 60-job instance, 3,000 decoded lists with each child's two
    moves give shorter plans than with neighbour swaps alone (three seeds, in all)."""
    data = hard_60_jobs()

    def best_plans(shifts):
        monkeypatch.setattr(serial, "SHIFTS", shifts)
        found = []
        for seed in range(3):
            schedules, decoded, offers = SerialSchedules(data, initial_sets(data)), [0], []

            def spend(_seconds, decoded=decoded):
                decoded[0] += 1

            def offer(start, schedules=schedules, offers=offers):
                offers.append(schedules.makespan(start))
                return True

            evolve(schedules, seed, lambda decoded=decoded: 3_000 - decoded[0], spend, offer)
            found.append(min(offers))
        return sum(found)

    assert best_plans(2) < best_plans(0)


def test_the_genetic_search_beats_as_many_random_lists():
    """On a tightly constrained 60-job instance, 400 decoded lists of the genetic search give
    a shorter plan than 400 lists drawn at random as its first population is (longest path
    to the end first, with noise), each justified alike: selection, crossover and mutation
    do work."""
    data = hard_60_jobs()
    schedules = SerialSchedules(data, initial_sets(data))
    rng, tail = np.random.default_rng(0), np.array(schedules.paths.tail, dtype=float)
    drawn = (
        schedules.activity_list(-tail * (1 + serial.NOISE * rng.random(schedules.n))) for _ in range(400)
    )
    sampled = min(schedules.makespan(schedules.justify(s)) for s in map(schedules.generate, drawn) if s)
    decoded, offers = [0], []

    def spend(_seconds):
        decoded[0] += 1

    def offer(start):
        assert feasible(data, dict(enumerate(start)))
        offers.append(schedules.makespan(start))
        return True

    evolve(schedules, 0, lambda: 400 - decoded[0], spend, offer)
    assert min(offers) < sampled


def test_with_time_to_spare_the_population_grows_and_finds_shorter_plans(monkeypatch):
    """The population is sized from the time left and the rate the first one was decoded at
    (time here counts decodes): 20,000 of them afford about 130 plans, not 30, and on a
    tightly constrained 60-job instance that larger population's best plan is shorter than
    the one a population of 30 finds with the same 20,000 decodes."""
    data = hard_60_jobs()

    def best_plan(max_population):
        monkeypatch.setattr(serial, "MAX_POPULATION", max_population)
        schedules = SerialSchedules(data, initial_sets(data))
        decoded, offers = [0], []

        def spend(_seconds):
            decoded[0] += 1

        def offer(start):
            offers.append(schedules.makespan(start))
            return True

        genetic = serial._Genetic(schedules, 0, lambda: 20_000 - decoded[0], spend, offer)
        genetic.run(None)
        return min(offers), genetic.size

    most = serial.MAX_POPULATION
    small, size_small = best_plan(serial.POPULATION)
    grown, size_grown = best_plan(most)
    assert size_small == serial.POPULATION
    assert size_grown == (20_000 - serial.POPULATION) // serial.GENERATIONS
    assert grown < small


def test_without_a_writable_cache_the_kernels_compile_for_the_process_alone():
    """A read-only install (no __pycache__ or user cache Numba can write) still schedules:
    Numba refuses to cache there, so the kernels are compiled without a cache."""
    script = textwrap.dedent(
        """
        import numba.core.caching as caching
        import numpy as np

        def read_only(self):
            raise PermissionError(13, "Read-only file system", self.get_cache_path())

        caching._CacheLocator.ensure_cache_path = read_only
        from solvers.cpsat import sgs

        assert sgs.crossover(np.arange(3), np.array([2, 1, 0]), 1, 2).tolist() == [0, 2, 1]
        """
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", script], check=True, cwd=root, timeout=300)
