"""Exact fit checks: the max-flow agrees with brute force, and the greedy shortcut is sound."""

import itertools

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from solvers.flow import PeriodLoad, route


def brute_force_fits(demand, capacity, eligible) -> bool:
    """Hall's condition: every set of classes fits into the groups that can serve it."""
    classes = range(len(demand))
    for size in range(1, len(demand) + 1):
        for subset in itertools.combinations(classes, size):
            groups = eligible[:, list(subset)].any(axis=1)
            if demand[list(subset)].sum() > capacity[groups].sum():
                return False
    return True


instances = st.integers(1, 4).flatmap(
    lambda c: st.integers(1, 4).flatmap(
        lambda g: st.tuples(
            st.lists(st.integers(0, 9), min_size=c, max_size=c),
            st.lists(st.integers(0, 9), min_size=g, max_size=g),
            st.lists(st.lists(st.booleans(), min_size=c, max_size=c), min_size=g, max_size=g),
        )
    )
)


@settings(max_examples=300, deadline=None)
@given(instances)
def test_route_serves_everything_exactly_when_halls_condition_holds(instance):
    demand, capacity, eligible = (np.array(x) for x in instance)
    served, flow = route(demand, capacity, eligible.astype(bool))
    assert (served == demand.sum()) == brute_force_fits(demand, capacity, eligible.astype(bool))
    assert (flow.sum(axis=1) <= demand).all() and (flow.sum(axis=0) <= capacity).all()
    assert (flow[~eligible.astype(bool).T] == 0).all()


@settings(max_examples=300, deadline=None)
@given(instances, st.lists(st.integers(0, 5), min_size=4, max_size=4))
def test_period_load_accepts_exactly_what_fits(instance, extra):
    demand, capacity, eligible = (np.array(x) for x in instance)
    eligible = eligible.astype(bool)
    load = PeriodLoad(capacity, eligible)
    flow = load.try_add(demand)
    assert (flow is not None) == brute_force_fits(demand, capacity, eligible)
    if flow is None:
        return
    load.commit(demand, flow)
    more = np.array(extra[: len(demand)])
    flow2 = load.try_add(more)
    assert (flow2 is not None) == brute_force_fits(demand + more, capacity, eligible)
    if flow2 is not None:
        dense = load.network.dense(flow2)
        assert (dense.sum(axis=1) == demand + more).all()
        assert (dense.sum(axis=0) <= capacity).all()


@settings(max_examples=300, deadline=None)
@given(instances, st.lists(st.integers(0, 5), min_size=4, max_size=4))
def test_fill_moves_no_flow_and_stays_within_capacity(instance, extra):
    placed = _placed(instance)
    if placed is None:
        return
    load, demand, capacity, eligible = placed
    flow = load.flow
    more = np.array(extra[: len(demand)])
    filled = load.network.fill(flow, more, load.network.free(flow, load.capacity))
    if filled is None:
        return
    assert (filled >= flow).all()  # only adds
    dense = load.network.dense(filled)
    assert (dense.sum(axis=1) == demand + more).all()
    assert (dense.sum(axis=0) <= capacity).all()
    assert (dense[~eligible.T] == 0).all()


def _placed(instance):
    """A load with the instance's demand committed (load, demand, capacity, eligible), or None
    when that demand does not fit."""
    demand, capacity, eligible = (np.array(x) for x in instance)
    eligible = eligible.astype(bool)
    load = PeriodLoad(capacity, eligible)
    flow = load.try_add(demand)
    if flow is None:
        return None
    load.commit(demand, flow)
    return load, demand, capacity, eligible


def most_served(demand, capacity, eligible) -> int:
    """The most units a flow can serve, by brute force: by König-Hall, the demand less
    the largest deficit of any set of classes (the empty set's is 0)."""
    classes = range(len(demand))
    deficit = 0
    for size in range(1, len(demand) + 1):
        for subset in itertools.combinations(classes, size):
            groups = eligible[:, list(subset)].any(axis=1)
            deficit = max(deficit, int(demand[list(subset)].sum() - capacity[groups].sum()))
    return int(demand.sum()) - deficit


@settings(max_examples=300, deadline=None)
@given(instances, st.lists(st.integers(0, 9), min_size=4, max_size=4))
@example(([1, 2, 5], [0, 8], [[1, 1, 1], [1, 1, 1]]), [2, 0, 0, 0])  # every group full: the cut still names
def test_added_demand_is_served_exactly_as_far_as_it_can_be(instance, extra):
    placed = _placed(instance)
    if placed is None:
        return
    load, demand, capacity, eligible = placed
    more = np.array(extra[: len(demand)])
    short = load.shortfall(more)
    # only the added demand falls short, and by exactly what no flow can serve
    assert (short >= 0).all() and (short <= more).all()
    assert int(short.sum()) == int((demand + more).sum()) - most_served(demand + more, capacity, eligible)
    fit = load.check(more)
    if fit.short is not None:
        assert int(fit.short.sum()) == int(short.sum())
    if fit.flow is None:
        # the classes named break Hall's condition with the added demand
        together = (demand + more)[list(fit.blocking)].sum()
        assert together > capacity[eligible[:, list(fit.blocking)].any(axis=1)].sum()
    else:
        dense = load.network.dense(fit.flow)
        assert (dense.sum(axis=1) == demand + more).all() and (dense.sum(axis=0) <= capacity).all()
        assert (dense[~eligible.T] == 0).all()


@settings(max_examples=200, deadline=None)
@given(instances, st.lists(st.integers(0, 9), min_size=4, max_size=4))
@example(([1, 1, 0], [1, 1], [[1, 1, 0], [0, 0, 1]]), [0, 0, 1, 0])  # a fill would find room that is not
@example(([0, 7, 7], [9], [[1, 1, 1]]), [0, 0, 0, 0])  # nothing added to a load already over
def test_checks_stay_exact_on_a_load_that_is_already_over(instance, extra):
    demand, capacity, eligible = (np.array(x) for x in instance)
    eligible = eligible.astype(bool)
    load = PeriodLoad(capacity, eligible)
    load.set_demand(demand)  # may not fit: the checks must then route everything afresh
    more = np.array(extra[: len(demand)])
    total = demand + more
    assert (load.try_add(more) is not None) == brute_force_fits(total, capacity, eligible)
    assert int(load.shortfall(more).sum()) == int(total.sum()) - most_served(total, capacity, eligible)
