"""PSPLIB-like single-mode RCPSP instances (``.sm``), generated the way ProGen made PSPLIB.

Stands in for the PSPLIB j60/j90/j120 sets where they are not at hand. It follows the
ProGen design (Kolisch, Sprecher & Drexl 1995, Management Science 41(10)) with the
settings PSPLIB used, checked against the j30 files:

* n real jobs (30, 60, 90 or 120), job 1 a dummy source and job n + 2 a dummy sink;
  4 renewable resources; durations uniform 1..10; demands uniform 1..10 on each
  resource a job uses.
* Network: jobs 2-4 are the start jobs (the source's only successors), jobs n-1..n+1 the
  finish jobs (the sink's only predecessors). Every job has 1 to 3 successors and 1 to 3
  predecessors, and no arc is redundant (implied by a longer path), neither when added nor
  through arcs added later. ProGen's steps: each non-start job gets a random predecessor
  among the jobs generated before it, each non-finish job still without a successor a
  random successor, then random arcs are added until there are ceil(NC * (n + 2)) arcs,
  the source's and sink's included (the j30 files have 48, 58 and 68 arcs on 32 jobs for
  NC 1.5, 1.8 and 2.1). Arcs run from an earlier to a later generated job where possible
  (see ``_forward_first``); at the end jobs are renumbered breadth first so that, as in
  PSPLIB, every arc runs from a lower to a higher number. On 30 jobs this gives PSPLIB's
  shares of jobs with 1, 2 and 3 successors (0.48/0.20/0.32 against j30's 0.47/0.23/0.30)
  and predecessors (0.48/0.20/0.31 against 0.49/0.20/0.32), and similar arc lengths.
* Resource factor RF: each job uses each resource with probability RF (drawn again until
  it uses one), then single resources are added or dropped at random jobs until the jobs
  use round(RF * 4 * n) (job, resource) pairs in all, and every resource is used by some
  job. So RF is the average share, not every job's: as in the j30 files, jobs use 1 to 4
  resources for RF 0.5 and 0.75, exactly 1 for 0.25 and all 4 for 1.0.
* Resource strength RS: K_r = Kmin_r + round(RS * (Kmax_r - Kmin_r)), halves rounded up
  (this reproduces all 1,920 j30 capacities), Kmin_r the largest single demand on r and
  Kmax_r the peak demand on r when every job starts as early as precedence allows.
* Horizon: the sum of durations; the PROJECT INFORMATION line gives the MPM (critical
  path) time as due date and MPM-Time, as PSPLIB does.

Parameter sets are numbered as in PSPLIB (checked against the j30 files): NC varies
slowest, then RF, then RS fastest. For 30, 60 and 90 jobs, 48 sets: NC in (1.5, 1.8,
2.1) x RF in (0.25, 0.5, 0.75, 1.0) x RS in (0.2, 0.5, 0.7, 1.0), so set 1 is
(1.5, 0.25, 0.2), set 2 (1.5, 0.25, 0.5), set 5 (1.5, 0.5, 0.2) and set 48 (2.1, 1.0,
1.0). For 120 jobs, 60 sets with RS in (0.1, 0.2, 0.3, 0.4, 0.5) (the same order is
assumed). Instance ``i`` of set ``p`` is ``j{n}{p}_{i}.sm``; its random stream is derived
from (seed, n, p, i) alone, so any subset of sets and instances comes out the same.

Besides the instances, the output folder gets ``j{n}cpm.txt`` (rows ``parameter instance
mpm-time``, the critical-path lower bound, in the layout of ``j30opt.sm``, so
``python -m benchmarks.psplib DIR --optima DIR/j{n}cpm.txt`` reports the deviation from
it as its gap) and ``j{n}progen.json`` (each instance's parameters, seed, MPM time,
Kmin, Kmax and capacities).

    python -m benchmarks.progen --jobs 120 --sets 1-60 --instances 10 --seed 0 -o DIR

``--jobs`` 30, 60, 90 or 120; ``--sets`` parameter sets as a list of numbers and ranges
(``1-5,17,33-36``; default all); ``--instances`` instances per set (default 10, as in
PSPLIB); ``--seed`` the base seed (default 0); ``-o`` the output folder (created).

Not reproduced from ProGen: its random streams (no PSPLIB file is regenerated); its
tolerances (NC and RF are met exactly here, where the j30 files have one (job, resource)
pair more than RF * 4 * n for RF 0.5 and 0.75: 61 and 91 of 120); the spread of resources
per job for RF 0.5 is a little wider than in j30 (1/2/3/4 resources: 0.34/0.38/0.23/0.06
here, 0.27/0.45/0.24/0.03 there); about 1-3% of arcs are drawn backward in generation
order (see ``_forward_first``); and the tardiness cost, which ProGen's RCPSP design does
not define, is drawn from 0..29 (the j30 range) and means nothing for makespan. The
horizon (sum of durations) of a 120-job instance stays far below the 1000 periods a
scenario may have (mean 660, standard deviation about 32).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

RESOURCES = 4
MAX_DURATION = 10
MAX_DEMAND = 10
START_JOBS = 3
FINISH_JOBS = 3
MAX_SUCCESSORS = 3
MAX_PREDECESSORS = 3  # PSPLIB: no job (the sink aside) has more than 3
JOB_COUNTS = (30, 60, 90, 120)
NC_VALUES = (1.5, 1.8, 2.1)
RF_VALUES = (0.25, 0.5, 0.75, 1.0)
RS_VALUES = (0.2, 0.5, 0.7, 1.0)
RS_VALUES_J120 = (0.1, 0.2, 0.3, 0.4, 0.5)
INSTANCES_PER_SET = 10
RULE = "*" * 72
SAMPLES_BEFORE_SCAN = 200  # random tries for an extra arc before listing every candidate
NETWORK_ATTEMPTS = 100  # a network can paint itself into a corner; then start it again

ArcTest = Callable[[int, int], bool]  # may arc i -> j be added?


@dataclass(frozen=True)
class Parameters:
    nc: float  # network complexity: arcs per job, dummies included
    rf: float  # resource factor: average share of the resources a job uses
    rs: float  # resource strength: where capacity lies between Kmin and Kmax


@dataclass
class Instance:
    """A generated instance. Jobs are 0-based here: 0 is the source, n + 1 the sink."""

    name: str
    parameter: int
    number: int
    parameters: Parameters
    seed: int
    successors: list[list[int]]
    durations: list[int]
    demands: list[list[int]]
    capacity: list[int]
    kmin: list[int]
    kmax: list[int]
    mpm: int
    tardiness_cost: int

    @property
    def jobs(self) -> int:
        """Real jobs, the dummies not counted."""
        return len(self.durations) - 2

    @property
    def horizon(self) -> int:
        return sum(self.durations)


def parameter_grid(jobs: int) -> list[Parameters]:
    """The parameter sets in PSPLIB's order (set p is entry p - 1): NC slowest, RS fastest."""
    rs_values = RS_VALUES_J120 if jobs == 120 else RS_VALUES
    return [Parameters(nc, rf, rs) for nc, rf, rs in itertools.product(NC_VALUES, RF_VALUES, rs_values)]


def instance_seed(seed: int, jobs: int, parameter: int, number: int) -> int:
    """A 31-bit seed for one instance, from the base seed and its place in the grid only."""
    digest = hashlib.sha256(f"progen:{seed}:{jobs}:{parameter}:{number}".encode()).digest()
    return int.from_bytes(digest[:4], "big") >> 1


def round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


# --- network ------------------------------------------------------------------------------


def _bits(mask: int) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class _Network:
    """Arcs with the transitive closure kept up to date as bit sets, for redundancy checks."""

    def __init__(self, nodes: int):
        self.succ = [0] * nodes  # direct successors
        self.desc = [0] * nodes  # all descendants
        self.anc = [0] * nodes  # all ancestors
        self.out_degree = [0] * nodes
        self.in_degree = [0] * nodes
        self.arcs = 0

    def can_add(self, i: int, j: int) -> bool:
        """Whether arc i -> j keeps the network acyclic and free of redundant arcs."""
        if i == j or (self.anc[i] | self.desc[i]) >> j & 1:
            return False  # a cycle, or already implied (or present)
        # It would make an existing arc h -> k redundant if h reaches i and j reaches k.
        after = self.desc[j] | 1 << j
        return not any(self.succ[h] & after for h in _bits(self.anc[i] | 1 << i))

    def add(self, i: int, j: int) -> None:
        self.succ[i] |= 1 << j
        self.out_degree[i] += 1
        self.in_degree[j] += 1
        self.arcs += 1
        before, after = self.anc[i] | 1 << i, self.desc[j] | 1 << j
        for h in _bits(before):
            self.desc[h] |= after
        for k in _bits(after):
            self.anc[k] |= before


class _Stuck(Exception):
    """No arc can be added within the limits; the network is started again."""


def generate_network(jobs: int, nc: float, rng: random.Random) -> list[list[int]]:
    """Successor lists (0-based, source 0, sink jobs + 1, numbered topologically) by ProGen's steps."""
    for _ in range(NETWORK_ATTEMPTS):
        try:
            return _renumbered(_try_network(jobs, nc, rng), jobs)
        except _Stuck:
            continue
    raise RuntimeError(f"no network with NC {nc} for {jobs} jobs in {NETWORK_ATTEMPTS} attempts")


def _try_network(jobs: int, nc: float, rng: random.Random) -> _Network:
    """ProGen's four steps, jobs in generation order: start jobs 1-3, finish jobs the last 3."""
    sink = jobs + 1
    starts = range(1, START_JOBS + 1)
    finishes = range(jobs - FINISH_JOBS + 1, jobs + 1)
    net = _Network(jobs + 2)
    for j in starts:
        net.add(0, j)
    for i in finishes:
        net.add(i, sink)

    def open_arc(i: int, j: int) -> bool:
        return (
            net.out_degree[i] < MAX_SUCCESSORS and net.in_degree[j] < MAX_PREDECESSORS and net.can_add(i, j)
        )

    tails = range(1, finishes.start)  # finish jobs take no successor but the sink
    heads = range(starts.stop, jobs + 1)  # start jobs take no predecessor but the source
    # Each non-start job gets a predecessor among the jobs generated before it: all are reachable.
    for j in heads:
        _add_one(net, rng, [(i, j) for i in tails if i < j and open_arc(i, j)])
    # Each non-finish job still without a successor gets one, generated after it if possible.
    for i in tails:
        if not net.out_degree[i]:
            _add_one(net, rng, _forward_first([(i, j) for j in heads if open_arc(i, j)]))
    # Then random arcs up to the complexity asked for.
    target = math.ceil(Fraction(str(nc)) * (jobs + 2))
    if net.arcs > target:
        raise _Stuck
    while net.arcs < target:
        _add_one(net, rng, _extra_arc(tails, heads, open_arc, rng))
    return net


def _add_one(net: _Network, rng: random.Random, candidates: list[tuple[int, int]]) -> None:
    if not candidates:
        raise _Stuck
    net.add(*rng.choice(candidates))


def _forward_first(arcs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The arcs from an earlier to a later generated job if there are any, else all of them.

    ProGen draws arcs forward only. Among the last jobs that leaves too few choices within
    the degree limits (the network had to be started again nearly every time for 120 jobs);
    allowing the odd backward arc (acyclicity is still checked) avoids that, while drawing
    forward first keeps the networks as deep as PSPLIB's (8.2-8.8 jobs on the longest path
    for j30 against 8.5-8.8 here; 9.2-10.7 when arcs were drawn in either direction)."""
    forward = [(i, j) for i, j in arcs if i < j]
    return forward or arcs


def _extra_arc(tails: range, heads: range, open_arc: ArcTest, rng: random.Random) -> list[tuple[int, int]]:
    """One random admissible arc, as a list of one; empty if there is none at all."""
    for _ in range(SAMPLES_BEFORE_SCAN):  # cheap while many arcs are still possible
        i, j = rng.choice(tails), rng.choice(heads)
        if i < j and open_arc(i, j):
            return [(i, j)]
    every = _forward_first([(i, j) for i in tails for j in heads if open_arc(i, j)])
    return [rng.choice(every)] if every else []


def _renumbered(net: _Network, jobs: int) -> list[list[int]]:
    """Successor lists with jobs renumbered as PSPLIB numbers them: every arc from a lower to a
    higher number, start jobs right after the source, finish jobs right before the sink.
    Jobs are numbered breadth first (each once all its predecessors are), which keeps arcs
    short, as they are in PSPLIB's files."""
    last = range(jobs - FINISH_JOBS + 1, jobs + 2)  # the finish jobs and the sink
    waiting = list(net.in_degree)
    order = [0]
    for node in order:  # order grows as jobs become ready
        for succ in _bits(net.succ[node]):
            waiting[succ] -= 1
            if not waiting[succ] and succ not in last:
                order.append(succ)
    order += last  # they precede no other job
    number = {node: k for k, node in enumerate(order)}
    successors: list[list[int]] = [[] for _ in order]
    for node in order:
        successors[number[node]] = sorted(number[s] for s in _bits(net.succ[node]))
    return successors


# --- resources ------------------------------------------------------------------------------


def assign_resources(jobs: int, rf: float, rng: random.Random) -> list[set[int]]:
    """Which resources each real job uses: round(RF * 4 * jobs) pairs, >= 1 per job, all used."""
    uses = [_some_resources(rf, rng) for _ in range(jobs)]
    target = round_half_up(Fraction(str(rf)) * RESOURCES * jobs)
    total = sum(map(len, uses))
    while total < target:
        used = rng.choice([u for u in uses if len(u) < RESOURCES])
        used.add(rng.choice(sorted(set(range(RESOURCES)) - used)))
        total += 1
    while total > target:
        used = rng.choice([u for u in uses if len(u) > 1])
        used.remove(rng.choice(sorted(used)))
        total -= 1
    _cover_every_resource(uses, rng)
    return uses


def _some_resources(rf: float, rng: random.Random) -> set[int]:
    """Each resource with probability RF, drawn again until there is at least one."""
    while True:
        used = {r for r in range(RESOURCES) if rng.random() < rf}
        if used:
            return used


def _cover_every_resource(uses: list[set[int]], rng: random.Random) -> None:
    """Give an unused resource to a job in place of one that other jobs use too (counts kept)."""
    for r in range(RESOURCES):
        if any(r in used for used in uses):
            continue
        users = [sum(s in used for used in uses) for s in range(RESOURCES)]
        swaps = [(used, s) for used in uses for s in sorted(used) if users[s] > 1]
        used, s = rng.choice(swaps)  # at least one: every job uses one and jobs > resources
        used.remove(s)
        used.add(r)


# --- capacities -------------------------------------------------------------------------------


def earliest_starts(successors: list[list[int]], durations: list[int]) -> list[int]:
    """The critical-path (MPM) schedule; arcs run from lower to higher numbers, so one pass."""
    start = [0] * len(durations)
    for i, succs in enumerate(successors):
        for j in succs:
            start[j] = max(start[j], start[i] + durations[i])
    return start


def peak_demand(start: list[int], durations: list[int], demands: list[list[int]], r: int) -> int:
    """Kmax_r: the highest demand on resource r over time when jobs start at ``start``."""
    profile = [0] * (max(s + d for s, d in zip(start, durations, strict=True)) + 1)
    for s, d, demand in zip(start, durations, demands, strict=True):
        for t in range(s, s + d):
            profile[t] += demand[r]
    return max(profile)


# --- instances ------------------------------------------------------------------------------


def generate_instance(jobs: int, parameter: int, number: int, seed: int = 0) -> Instance:
    """Instance ``number`` of parameter set ``parameter`` (both from 1) for ``jobs`` real jobs."""
    if jobs not in JOB_COUNTS:
        raise ValueError(f"jobs must be one of {JOB_COUNTS}, not {jobs}")
    grid = parameter_grid(jobs)
    if not 1 <= parameter <= len(grid):
        raise ValueError(f"parameter set must be 1 to {len(grid)} for {jobs} jobs, not {parameter}")
    params = grid[parameter - 1]
    own_seed = instance_seed(seed, jobs, parameter, number)
    rng = random.Random(own_seed)
    successors = generate_network(jobs, params.nc, rng)
    durations = [0] + [rng.randint(1, MAX_DURATION) for _ in range(jobs)] + [0]
    uses = assign_resources(jobs, params.rf, rng)
    demands = [[0] * RESOURCES]
    demands += [[rng.randint(1, MAX_DEMAND) if r in used else 0 for r in range(RESOURCES)] for used in uses]
    demands.append([0] * RESOURCES)
    start = earliest_starts(successors, durations)
    kmin = [max(d[r] for d in demands) for r in range(RESOURCES)]
    kmax = [peak_demand(start, durations, demands, r) for r in range(RESOURCES)]
    strength = Fraction(str(params.rs))
    capacity = [lo + round_half_up(strength * (hi - lo)) for lo, hi in zip(kmin, kmax, strict=True)]
    return Instance(
        name=f"j{jobs}{parameter}_{number}",
        parameter=parameter,
        number=number,
        parameters=params,
        seed=own_seed,
        successors=successors,
        durations=durations,
        demands=demands,
        capacity=capacity,
        kmin=kmin,
        kmax=kmax,
        mpm=start[-1],
        tardiness_cost=rng.randint(0, 29),
    )


def to_text(inst: Instance) -> str:
    """The instance in PSPLIB's ``.sm`` layout, column for column."""
    nodes = inst.jobs + 2
    resource_heads = "".join(f"  R {r + 1}" for r in range(RESOURCES))
    lines = [
        RULE,
        f"file with basedata            : j{inst.jobs}_{inst.parameter}.bas",
        f"initial value random generator: {inst.seed}",
        RULE,
        "projects                      :  1",
        f"jobs (incl. supersource/sink ):  {nodes}",
        f"horizon                       :  {inst.horizon}",
        "RESOURCES",
        f"  - renewable                 :  {RESOURCES}   R",
        "  - nonrenewable              :  0   N",
        "  - doubly constrained        :  0   D",
        RULE,
        "PROJECT INFORMATION:",
        "pronr.  #jobs rel.date duedate tardcost  MPM-Time",
        f"{1:5d}{inst.jobs:7d}{0:7d}{inst.mpm:9d}{inst.tardiness_cost:9d}{inst.mpm:9d}",
        RULE,
        "PRECEDENCE RELATIONS:",
        "jobnr.    #modes  #successors   successors",
    ]
    for i, succs in enumerate(inst.successors):
        lines.append(f"{i + 1:4d}{1:9d}{len(succs):11d}        " + "".join(f"{j + 1:4d}" for j in succs))
    lines += [RULE, "REQUESTS/DURATIONS:", f"jobnr. mode duration{resource_heads}", "-" * 72]
    for i, (duration, demand) in enumerate(zip(inst.durations, inst.demands, strict=True)):
        lines.append(f"{i + 1:3d}{1:7d}{duration:6d}{demand[0]:8d}" + "".join(f"{d:5d}" for d in demand[1:]))
    lines += [RULE, "RESOURCEAVAILABILITIES:", resource_heads]
    lines += ["".join(f"{k:5d}" for k in inst.capacity), RULE]
    return "\n".join(lines) + "\n"


def summary_row(inst: Instance) -> dict[str, object]:
    return {
        "parameter": inst.parameter,
        "instance": inst.number,
        **asdict(inst.parameters),
        "seed": inst.seed,
        "mpm": inst.mpm,
        "horizon": inst.horizon,
        "kmin": inst.kmin,
        "kmax": inst.kmax,
        "capacity": inst.capacity,
    }


def write_set(jobs: int, parameters: list[int], instances: int, seed: int, folder: Path) -> list[Instance]:
    """Write the instances, ``j{n}cpm.txt`` and ``j{n}progen.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for parameter in parameters:
        for number in range(1, instances + 1):
            inst = generate_instance(jobs, parameter, number, seed)
            (folder / f"{inst.name}.sm").write_text(to_text(inst), encoding="utf-8")
            made.append(inst)
    rows = [f"{i.parameter:<8d}{i.number:<10d}{i.mpm}" for i in made]
    header = [
        f"Instance Set : j{jobs} (benchmarks.progen, seed {seed})",
        "Critical-path (MPM) lower bound on the makespan of each instance",
        "Parameter Instance MPM-Time",
        "-" * 66,
    ]
    (folder / f"j{jobs}cpm.txt").write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    meta = {
        "generator": "benchmarks.progen",
        "jobs": jobs,
        "seed": seed,
        "instances": {i.name: summary_row(i) for i in made},
    }
    (folder / f"j{jobs}progen.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return made


def parse_sets(text: str, count: int) -> list[int]:
    """'1-5,17,33-36' as sorted set numbers, each checked to be 1..count."""
    chosen: set[int] = set()
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"'{part}' is not a set number or a range such as 3-7")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= count:
            raise ValueError(f"parameter sets run from 1 to {count}; '{part}' is outside or reversed")
        chosen.update(range(first, last + 1))
    return sorted(chosen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, choices=JOB_COUNTS, default=120, help="real jobs per instance")
    parser.add_argument("--sets", default=None, help="parameter sets, e.g. '1-5,17' (default: all)")
    parser.add_argument("--instances", type=int, default=INSTANCES_PER_SET, help="instances per set")
    parser.add_argument("--seed", type=int, default=0, help="base seed")
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder to write into")
    args = parser.parse_args(argv)
    count = len(parameter_grid(args.jobs))
    try:
        sets = parse_sets(args.sets, count) if args.sets else list(range(1, count + 1))
    except ValueError as exc:
        parser.error(str(exc))
    if args.instances < 1:
        parser.error("--instances must be at least 1")
    made = write_set(args.jobs, sets, args.instances, args.seed, args.output)
    print(f"wrote {len(made)} instances, j{args.jobs}cpm.txt and j{args.jobs}progen.json to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
