"""The ProGen-like generator: PSPLIB layout, ProGen's network and resource rules, determinism.

Every property is checked on the text as ``engine.psplib`` parses it, recomputed here
independently of the generator's own bookkeeping.
"""

import math
import re
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

from benchmarks import progen
from benchmarks.psplib import read_optima
from engine import parse_scenario, validate
from engine.psplib import Instance, parse_psplib, to_scenario

J30 = Path("/work/shared/bench/psplib/j30")
needs_j30 = pytest.mark.skipif(not J30.is_dir(), reason="the PSPLIB j30 set is not on this machine")

# (jobs, parameter set): every NC, every RF and the RS extremes, on each size
CASES = [(30, 1), (30, 6), (30, 23), (30, 35), (30, 48), (60, 27), (90, 44), (120, 1), (120, 30), (120, 60)]


@cache
def text_of(jobs: int, parameter: int, number: int = 1, seed: int = 0) -> str:
    return progen.to_text(progen.generate_instance(jobs, parameter, number, seed))


@cache
def parsed(jobs: int, parameter: int) -> Instance:
    return parse_psplib(text_of(jobs, parameter), source=f"j{jobs}{parameter}_1.sm")


def predecessors(inst: Instance) -> dict[int, set[int]]:
    preds: dict[int, set[int]] = {job.number: set() for job in inst.jobs}
    for job in inst.jobs:
        for succ in job.successors:
            preds[succ].add(job.number)
    return preds


def earliest_starts(inst: Instance) -> list[int]:
    """Job number -> earliest start (index 0 unused); arcs run forward, as checked below."""
    start = [0] * (len(inst.jobs) + 1)
    for job in inst.jobs:
        for succ in job.successors:
            start[succ] = max(start[succ], start[job.number] + job.duration)
    return start


def test_parameter_sets_are_numbered_nc_then_rf_then_rs():
    grid = progen.parameter_grid(30)
    assert len(grid) == 48 and len(progen.parameter_grid(60)) == len(progen.parameter_grid(90)) == 48
    assert grid[0] == progen.Parameters(1.5, 0.25, 0.2)
    assert grid[1] == progen.Parameters(1.5, 0.25, 0.5)
    assert grid[4] == progen.Parameters(1.5, 0.5, 0.2)
    assert grid[16] == progen.Parameters(1.8, 0.25, 0.2)
    assert grid[47] == progen.Parameters(2.1, 1.0, 1.0)
    j120 = progen.parameter_grid(120)
    assert len(j120) == 60 and j120[0] == progen.Parameters(1.5, 0.25, 0.1)
    assert j120[4] == progen.Parameters(1.5, 0.25, 0.5) and j120[59] == progen.Parameters(2.1, 1.0, 0.5)


@needs_j30
def test_the_numbering_and_arc_count_match_the_j30_files():
    for parameter, params in enumerate(progen.parameter_grid(30), start=1):
        inst = parse_psplib((J30 / f"j30{parameter}_1.sm").read_text())
        assert sum(len(job.successors) for job in inst.jobs) == math.ceil(Fraction(str(params.nc)) * 32)
        used = sum(d > 0 for job in inst.jobs[1:-1] for d in job.demand)
        assert abs(used / 120 - params.rf) <= 1 / 120  # j30 has one pair more for RF 0.5 and 0.75


@pytest.mark.parametrize(("jobs", "parameter"), CASES)
def test_the_text_has_psplib_s_layout(jobs, parameter):
    lines = text_of(jobs, parameter).splitlines()
    assert lines[0] == lines[-1] == "*" * 72
    assert lines[5] == f"jobs (incl. supersource/sink ):  {jobs + 2}"
    assert lines[13] == "pronr.  #jobs rel.date duedate tardcost  MPM-Time"
    assert "   1        1          3           2   3   4" in lines  # the source's row, as in j30
    assert f"{jobs + 2:4d}        1          0        " in lines  # the sink's, trailing blanks kept
    capacity = "".join(f"{k:5d}" for k in parsed(jobs, parameter).capacity)
    assert lines[-3:-1] == ["  R 1  R 2  R 3  R 4", capacity]


@pytest.mark.parametrize(("jobs", "parameter"), CASES)
def test_the_network_follows_progen_s_rules(jobs, parameter):
    inst = parsed(jobs, parameter)  # parse_psplib rejects cycles
    preds, sink = predecessors(inst), jobs + 2
    assert all(succ > job.number for job in inst.jobs for succ in job.successors)  # numbered forward
    assert inst.jobs[0].successors == [2, 3, 4] and preds[sink] == {jobs - 1, jobs, jobs + 1}
    for job in inst.jobs[1:-1]:
        assert 1 <= len(job.successors) <= 3 and 1 <= len(preds[job.number]) <= 3, job.number
        assert (job.successors == [sink]) == (job.number >= jobs - 1)  # only finish jobs end
        assert (preds[job.number] == {1}) == (job.number <= 4)  # only start jobs begin
    nc = progen.parameter_grid(jobs)[parameter - 1].nc
    assert sum(len(job.successors) for job in inst.jobs) == math.ceil(Fraction(str(nc)) * (jobs + 2))


@pytest.mark.parametrize(("jobs", "parameter"), CASES)
def test_no_arc_is_redundant(jobs, parameter):
    inst = parsed(jobs, parameter)
    reach: dict[int, set[int]] = {}
    for job in reversed(inst.jobs):  # successors are numbered higher, so already known
        reach[job.number] = set().union(*({s} | reach[s] for s in job.successors))
    for job in inst.jobs:
        for succ in job.successors:
            others = [s for s in job.successors if s != succ]
            assert not any(succ in reach[o] for o in others), f"arc {job.number} -> {succ} is implied"


@pytest.mark.parametrize(("jobs", "parameter"), CASES)
def test_resource_factor_durations_and_demands(jobs, parameter):
    inst = parsed(jobs, parameter)
    rf = progen.parameter_grid(jobs)[parameter - 1].rf
    real = inst.jobs[1:-1]
    counts = [sum(d > 0 for d in job.demand) for job in real]
    # ProGen's RF is the average share over jobs: round(RF * 4 * n) (job, resource) pairs.
    assert sum(counts) == math.floor(Fraction(str(rf)) * 4 * jobs + Fraction(1, 2))
    assert min(counts) >= 1 and all(any(job.demand[r] for job in real) for r in range(4))
    if rf in (0.25, 1.0):
        assert set(counts) == {round(rf * 4)}
    assert all(1 <= job.duration <= 10 and all(0 <= d <= 10 for d in job.demand) for job in real)
    assert inst.jobs[0].duration == inst.jobs[-1].duration == 0 and not any(inst.jobs[0].demand)
    assert inst.horizon == sum(job.duration for job in inst.jobs)


@pytest.mark.parametrize(("jobs", "parameter"), CASES)
def test_capacities_follow_the_resource_strength(jobs, parameter):
    inst = parsed(jobs, parameter)
    rs = Fraction(str(progen.parameter_grid(jobs)[parameter - 1].rs))
    start = earliest_starts(inst)
    mpm = start[jobs + 2]
    running = [[j for j in inst.jobs if 0 <= t - start[j.number] < j.duration] for t in range(mpm)]
    for r, capacity in enumerate(inst.capacity):
        kmin = max(job.demand[r] for job in inst.jobs)
        kmax = max(sum(job.demand[r] for job in jobs_at) for jobs_at in running)
        assert kmin <= capacity <= kmax
        assert capacity == kmin + math.floor(rs * (kmax - kmin) + Fraction(1, 2))
    info = text_of(jobs, parameter).splitlines()[14].split()
    assert int(info[3]) == int(info[5]) == mpm  # due date and MPM time, as PSPLIB writes them


def test_the_same_seed_gives_the_same_text_and_others_differ():
    assert progen.to_text(progen.generate_instance(60, 17, 3, seed=5)) == text_of(60, 17, 3, 5)
    assert text_of(60, 17, 3, 5) != text_of(60, 17, 3, 6)
    assert text_of(60, 17, 3, 5) != text_of(60, 17, 4, 5)


def test_a_generated_instance_imports_as_a_valid_scenario():
    scenario = to_scenario(parsed(30, 6))
    parsed_scenario, problems = validate(scenario)
    assert parsed_scenario is not None and problems == []
    assert len(parse_scenario(scenario).projects) == 30


def test_the_command_writes_instances_and_the_critical_path_bounds(tmp_path, capsys):
    assert progen.main(["--jobs", "30", "--sets", "1-2,48", "--instances", "2", "-o", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.glob("*.sm"))
    assert names == sorted(f"j30{p}_{i}.sm" for p in (1, 2, 48) for i in (1, 2))
    assert (tmp_path / "j301_2.sm").read_text() == text_of(30, 1, 2)  # a subset changes nothing
    bounds = read_optima(tmp_path / "j30cpm.txt", "j30")
    assert len(bounds) == 6 and bounds["j3048_1"] == earliest_starts(parsed(30, 48))[32]
    assert "j3048_2" in (tmp_path / "j30progen.json").read_text()
    assert "wrote 6 instances" in capsys.readouterr().out


@pytest.mark.parametrize("bad", ["0", "49", "5-3", "x", "1-"])
def test_bad_set_lists_are_refused(bad, capsys):
    with pytest.raises(SystemExit):
        progen.main(["--jobs", "30", "--sets", bad, "-o", "/nonexistent/never-written"])
    assert re.search(r"parameter sets run from 1 to 48|is not a set number", capsys.readouterr().err)
