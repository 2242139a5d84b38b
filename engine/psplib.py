"""PSPLIB single-mode instances (``.sm``) as scenarios: the public yardstick for scheduling.

A PSPLIB instance asks when a set of jobs with durations, precedence and demand on
renewable resources can all be finished. That is a makespan portfolio: each resource is
a generic pool (one unit of it for one time unit = one hour, ``fte_hours`` 1, one period
per time unit), each real job a single-phase mandatory project. Jobs that take no time
(the dummy source and sink) are dropped and precedence is carried through them.

Every format error names the file, the line and what is wrong; nothing here raises
anything but :class:`~engine.errors.ScenarioError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from engine.errors import Problem, ScenarioError

CALENDAR_START = "2027-01-04"  # a Monday; dates carry no meaning in a PSPLIB instance
MAX_PERIODS = 1000  # the scenario format's limit on calendar.periods


@dataclass
class Job:
    number: int
    line: int  # where its precedence row is, for messages
    successors: list[int] = field(default_factory=list)
    duration: int = 0
    demand: list[int] = field(default_factory=list)


@dataclass
class Instance:
    """A parsed PSPLIB single-mode instance."""

    name: str
    horizon: int
    capacity: list[int]  # per renewable resource
    jobs: list[Job]  # job i + 1 at index i


def import_psplib(path: str | Path) -> dict[str, Any]:
    """The scenario document (FORMAT.md) for the PSPLIB instance at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ScenarioError([Problem(str(path), f"cannot read the file ({reason})")]) from exc
    return to_scenario(parse_psplib(text, source=str(path), name=path.stem))


def parse_psplib(text: str, *, source: str = "<input>", name: str = "psplib") -> Instance:
    """Parse the text of a single-mode ``.sm`` file."""
    reader = _Reader(text, source)
    if reader.number("projects") != 1:
        reader.fail("only files with one project are supported")
    jobs_count = reader.number("jobs")
    horizon = reader.number("horizon")
    renewable = reader.number("- renewable", at_least=0)
    for kind in ("- nonrenewable", "- doubly constrained"):
        if reader.number(kind, at_least=0, optional=True):
            reader.fail(f"{kind[2:]} resources are not supported (single-mode, renewable only)")
    reader.section("PRECEDENCE RELATIONS")
    jobs = [_precedence_row(reader, i + 1, jobs_count) for i in range(jobs_count)]
    reader.section("REQUESTS/DURATIONS")
    for job in jobs:
        _request_row(reader, job, renewable)
    reader.section("RESOURCEAVAILABILITIES")
    capacity = reader.row(renewable, "resource availabilities", exact=True)
    instance = Instance(name=name, horizon=horizon, capacity=capacity, jobs=jobs)
    _check_acyclic(reader, instance)
    if horizon > MAX_PERIODS:
        reader.fail(f"horizon {horizon} is longer than the {MAX_PERIODS} periods a scenario may have")
    return instance


def _precedence_row(reader: _Reader, number: int, count: int) -> Job:
    values = reader.row(3, f"the precedence row of job {number}")
    job = Job(number=values[0], line=reader.line_number, successors=values[3:])
    if job.number != number:
        reader.fail(f"expected job {number} here, found job {job.number}")
    if values[1] != 1:
        reader.fail(f"job {number} has {values[1]} modes; only single-mode instances are supported")
    if len(job.successors) != values[2]:
        reader.fail(f"job {number} lists {len(job.successors)} successors but says it has {values[2]}")
    for succ in job.successors:
        if not 1 <= succ <= count:
            reader.fail(f"job {number} has successor {succ}, but jobs are numbered 1 to {count}")
    return job


def _request_row(reader: _Reader, job: Job, renewable: int) -> None:
    values = reader.row(3 + renewable, f"the duration and requests of job {job.number}", exact=True)
    if values[0] != job.number:
        reader.fail(f"expected job {job.number} here, found job {values[0]}")
    if values[1] != 1:
        reader.fail(f"job {job.number} is given in mode {values[1]}; only single-mode is supported")
    job.duration, job.demand = values[2], values[3:]


def _check_acyclic(reader: _Reader, instance: Instance) -> None:
    """Precedence must be acyclic; a cycle is reported at a job on it."""
    state: dict[int, str] = {}
    for root in instance.jobs:
        if root.number in state:
            continue
        state[root.number] = "open"
        stack = [(root.number, iter(root.successors))]
        while stack:
            number, successors = stack[-1]
            succ = next(successors, None)
            if succ is None:
                state[number] = "done"
                stack.pop()
            elif state.get(succ) == "open":
                reader.fail(f"precedence cycle through job {succ}", line=instance.jobs[succ - 1].line)
            elif succ not in state:
                state[succ] = "open"
                stack.append((succ, iter(instance.jobs[succ - 1].successors)))


class _Reader:
    """Line-by-line reading with errors that say where (file:line) and what."""

    def __init__(self, text: str, source: str):
        self.lines, self.source = text.splitlines(), source
        self.index = -1  # the line last read

    @property
    def line_number(self) -> int:
        return self.index + 1

    def fail(self, message: str, *, line: int | None = None) -> NoReturn:
        where = line if line is not None else max(self.line_number, 1)
        raise ScenarioError([Problem(f"{self.source}:{where}", message)])

    def number(self, label: str, *, at_least: int = 1, optional: bool = False) -> int:
        """The first whole number after ``label ... :`` on the next line starting with label."""
        for i in range(self.index + 1, len(self.lines)):
            line = self.lines[i].strip()
            if line.lower().startswith(label.lower()) and ":" in line:
                self.index = i
                match = re.match(r"\s*(\d+)", line.split(":", 1)[1])
                if match is None:
                    self.fail(f"'{label.strip('- ')}' should be followed by a whole number")
                value = int(match.group(1))
                if value < at_least:
                    self.fail(f"'{label.strip('- ')}' must be at least {at_least}, not {value}")
                return value
        if not optional:
            self.fail(f"no '{label.strip('- ')}' line found", line=len(self.lines))
        return 0

    def section(self, title: str) -> None:
        for i in range(self.index + 1, len(self.lines)):
            if self.lines[i].strip().upper().startswith(title):
                self.index = i
                return
        self.fail(f"no {title} section found", line=len(self.lines))

    def row(self, width: int, what: str, *, exact: bool = False) -> list[int]:
        """The next row of whole numbers, skipping column headers and rules."""
        for i in range(self.index + 1, len(self.lines)):
            line = self.lines[i].strip()
            if not line or line.startswith("-") or (line[0].isalpha() and not line.startswith("*")):
                continue  # column headings and rules
            self.index = i
            if line.startswith("*"):
                self.fail(f"the section ended before {what}")
            fields = line.split()
            if not all(f.isdigit() for f in fields):
                bad = next(f for f in fields if not f.isdigit())
                self.fail(f"'{bad}' in {what} is not a whole number of 0 or more")
            if len(fields) < width or (exact and len(fields) != width):
                self.fail(f"{what} should have {width} numbers, not {len(fields)}")
            return [int(f) for f in fields]
        self.fail(f"the file ended before {what}", line=len(self.lines))


def to_scenario(instance: Instance) -> dict[str, Any]:
    """The instance as a makespan scenario: pools for resources, projects for real jobs."""
    resources = [f"R{k + 1}" for k in range(len(instance.capacity))]
    kept = [job for job in instance.jobs if job.duration > 0]
    predecessors = _real_predecessors(instance)
    return {
        "name": instance.name,
        "calendar": {
            "start": CALENDAR_START,
            "period": "week",
            "periods": instance.horizon,
            "fte_hours": 1,
        },
        "skills": [{"id": r, "name": f"renewable resource {r[1:]}"} for r in resources],
        "staff": [
            {"id": f"pool-{r}", "name": f"{r} pool", "fte": cap, "skills": {r: 1}}
            for r, cap in zip(resources, instance.capacity, strict=True)
        ],
        "projects": [_project(job, resources, predecessors[job.number]) for job in kept],
        "policy": {"objective": "makespan"},
    }


def _project(job: Job, resources: list[str], predecessors: list[int]) -> dict[str, Any]:
    demand = [{"skill": r, "hours": d} for r, d in zip(resources, job.demand, strict=True) if d > 0]
    return {
        "id": f"job{job.number}",
        "mandatory": True,
        "depends_on": [f"job{p}" for p in predecessors],
        "phases": [{"periods": job.duration, "demand": demand}],
    }


def _real_predecessors(instance: Instance) -> dict[int, list[int]]:
    """Each job's nearest predecessors that take time, looking through those that do not."""
    direct: dict[int, list[int]] = {job.number: [] for job in instance.jobs}
    for job in instance.jobs:
        for succ in job.successors:
            direct[succ].append(job.number)
    found: dict[int, list[int]] = {}

    def real(number: int) -> list[int]:  # acyclic (checked), so this terminates
        if number not in found:
            preds: list[int] = []
            for p in direct[number]:
                for q in [p] if instance.jobs[p - 1].duration > 0 else real(p):
                    if q not in preds:
                        preds.append(q)
            found[number] = sorted(preds)
        return found[number]

    for number in _topological(instance):
        real(number)
    return found


def _topological(instance: Instance) -> list[int]:
    """Job numbers with every job after its predecessors (so ``real`` never recurses deep)."""
    indegree = {job.number: 0 for job in instance.jobs}
    for job in instance.jobs:
        for succ in job.successors:
            indegree[succ] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    order = []
    while ready:
        number = ready.pop()
        order.append(number)
        for succ in instance.jobs[number - 1].successors:
            indegree[succ] -= 1
            if indegree[succ] == 0:
                ready.append(succ)
    return order
