"""Portfolio bookkeeping: the start scan's shortcuts give the same answers as a plain check."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import build
from engine.validation import validate
from solvers.flow import route
from solvers.portfolio import Portfolio
from tests.strategies import scenarios


def plain_fits(portfolio: Portfolio, j: int, s: int) -> bool:
    """Project j at s by a max-flow per period, with no shortcuts."""
    data = portfolio.data
    for r in range(int(data.length[j])):
        load = portfolio.loads[s + r]
        total = load.demand.copy()
        total[data.project_classes[j]] += data.demand[j][r]
        if route(total, load.capacity, data.group_eligible)[0] < total.sum():
            return False
    return True


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_start_scan_agrees_with_a_plain_max_flow_at_every_start(raw):
    scenario, _ = validate(raw)
    if scenario is None:
        return
    data = build(scenario)
    portfolio = Portfolio(data)
    for j in range(data.num_projects):
        first = int(data.earliest[j])
        fits = [s for s in range(first, int(data.latest[j]) + 1) if plain_fits(portfolio, j, s)]
        scanned = [
            s for s in range(first, int(data.latest[j]) + 1) if portfolio.capacity_flows(j, s) is not None
        ]
        assert scanned == fits
        if fits:  # place it, so that later projects are checked against a loaded portfolio
            flows = portfolio.capacity_flows(j, fits[0])
            assert flows is not None
            portfolio.place(j, fits[0], flows)
    for t, load in enumerate(portfolio.loads):  # the kept flows serve exactly the committed demand
        served = load.network.served(load.flow)
        assert (served == load.demand).all(), t
        used = np.bincount(load.network.g_idx, weights=load.flow, minlength=data.num_groups)
        assert (used <= load.capacity).all()


def plain_failing(portfolio: Portfolio, j: int, s: int) -> int:
    """How many periods of project j at s break, by a max-flow each, with no shortcuts."""
    data, count = portfolio.data, 0
    for r in range(int(data.length[j])):
        load = portfolio.loads[s + r]
        total = load.demand.copy()
        total[data.project_classes[j]] += data.demand[j][r]
        count += route(total, load.capacity, data.group_eligible)[0] < total.sum()
    return count


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_projects=8), st.randoms(use_true_random=False))
def test_the_closest_start_and_its_shortfall_match_plain_max_flows(raw, rnd):
    scenario, _ = validate(raw)
    if scenario is None:
        return
    data = build(scenario)
    portfolio = Portfolio(data)
    order = list(range(data.num_projects))
    rnd.shuffle(order)
    for j in order:
        first, last = int(data.earliest[j]), int(data.latest[j])
        if first > last:
            continue
        counts = [plain_failing(portfolio, j, s) for s in range(first, last + 1)]
        best = portfolio.scan(j).fewest_failing(first, last)
        assert best == first + int(np.argmin(counts))  # fewest failing, earliest on ties
        short = portfolio.shortfall(j, best)
        for r in range(int(data.length[j])):
            load, extra = portfolio.loads[best + r], portfolio._extra(j, r)
            total = load.demand + extra
            assert (
                int(short[r].sum()) == int(total.sum()) - route(total, load.capacity, data.group_eligible)[0]
            )
            assert (short[r] <= extra).all()  # only the project's own work falls short
        flows = portfolio.capacity_flows(j, first)
        if flows is not None and rnd.random() < 0.7:
            portfolio.place(j, first, flows)
