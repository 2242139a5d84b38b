"""The portfolio model as a MILP solved by HiGHS: a benchmark peer for CP-SAT, and an LP bound.

The formulation mirrors ``solvers.cpsat`` rule for rule, so the two optima agree and the
LP relaxation bounds both:

* binary ``x[j,s]`` per project and allowed start; at most one start, exactly one when
  mandatory;
* time-indexed precedence without big-M: ``x[j,s] <= sum x[pred,s']`` over the
  predecessor's starts that finish, plus lag, by ``s``;
* per period and demand class, the demand of the active starts equals continuous flows
  to the groups that qualify, and per period each group's flows stay within capacity;
* budget rows (total, by period, by financial year, with the labour estimate when
  counted), with CP-SAT's rounding: costs up and caps down to hundredths;
* objective: the sum of ``data.start_value`` over chosen starts (maximised), or the
  makespan ``M >= sum_s (s + length) x[j,s]`` (minimised).

Scaling keeps coefficients near 1: work is in hours (units / 1000), each budget row is
divided by its cap, and the objective is in plan units. The model is gathered as numpy
(row, column, value) blocks and passed to HiGHS once: row by row in Python is far too
slow at 500 projects x 104 periods.

HiGHS solutions are floating point, so the incumbent is rounded (``x > 0.5``) and
re-checked exactly with :func:`verify`; a schedule that fails it is reported ``unknown``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from engine.problem import UNITS_PER_HOUR, ProblemData
from solvers.cpsat.constraints import MONEY_SCALE
from solvers.greedy import schedule_objective
from solvers.portfolio import Portfolio, period_costs
from solvers.relaxation import swallow_banner

INF = highspy.kHighsInf
MIP_REL_GAP = 1e-4
MIN_SOLVE_SECONDS = 0.1  # what HiGHS gets even when building the model used up the time limit


@dataclass
class MilpResult:
    """What HiGHS found, in plan units (makespan as a positive number of periods)."""

    status: str  # "optimal" | "feasible" | "infeasible" | "unknown" | "error"
    objective: float | None  # of ``starts``, recomputed exactly; None without an incumbent
    bound: float | None  # HiGHS's dual bound (the LP optimum when ``relax``)
    starts: dict[int, int]  # selected project -> start, rounded from the incumbent
    seconds: float  # wall time including the model build
    build_seconds: float = 0.0
    verified: bool | None = None  # ``starts`` passed :func:`verify`; None without an incumbent
    notes: list[str] = field(default_factory=list)


def solve_milp(
    data: ProblemData,
    *,
    time_limit: float,
    threads: int = 1,
    relax: bool = False,
    hint: dict[int, int] | None = None,
) -> MilpResult:
    """Solve the portfolio MILP (or, with ``relax``, its LP relaxation) within ``time_limit`` seconds.

    ``hint`` (project -> start, e.g. the greedy plan) is a MIP start, as CP-SAT gets one;
    it is ignored with ``relax``.
    """
    started = time.perf_counter()
    empty = [data.project_ids[j] for j in _unplaceable_mandatory(data)]
    if empty:  # HiGHS would need an empty "= 1" row; say why instead
        return MilpResult(
            "infeasible", None, None, {}, time.perf_counter() - started, notes=[f"no start fits {empty}"]
        )
    model, x = _build(data)
    built = time.perf_counter() - started
    highs = _highs(threads, max(time_limit - built, MIN_SOLVE_SECONDS))
    status = highs.passModel(*model.arrays(maximise=data.objective != "makespan", relax=relax))
    if status == highspy.HighsStatus.kError:
        return MilpResult("error", None, None, {}, time.perf_counter() - started, built, notes=["passModel"])
    if hint is not None and not relax:
        _start_from(highs, x, hint)
    highs.run()
    result = _relaxation(highs) if relax else _incumbent(data, highs, x)
    result.seconds, result.build_seconds = time.perf_counter() - started, built
    return result


def verify(data: ProblemData, starts: dict[int, int]) -> bool:
    """Whether ``starts`` is a valid plan by the engine's exact (integer) checks."""
    if any(data.mandatory[j] and j not in starts for j in range(data.num_projects)):
        return False
    for j, s in starts.items():
        if not data.earliest[j] <= s <= data.latest[j]:
            return False
        for pred, lag in data.predecessors[j]:
            if pred not in starts or s < starts[pred] + int(data.length[pred]) + lag:
                return False
    # Capacity and budget only get tighter as projects are added, so checking each
    # placement in turn is the same as checking the whole plan.
    portfolio = Portfolio(data)
    for j in sorted(starts, key=lambda k: (starts[k], k)):
        flows = portfolio.capacity_flows(j, starts[j])
        if flows is None or portfolio.budget_short(j, starts[j]) > 0:
            return False
        portfolio.place(j, starts[j], flows)
    return True


# --- the linear model ------------------------------------------------------------------


class _Model:
    """Columns, rows and (row, column, value) triplets of a linear model, as numpy blocks."""

    def __init__(self) -> None:
        self.num_cols = 0
        self.num_rows = 0
        self._cols: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = []
        self._rows: list[tuple[np.ndarray, np.ndarray]] = []
        self._entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._closed: list[np.ndarray] = []

    def add_cols(self, lower: np.ndarray, upper: np.ndarray, cost: np.ndarray, *, integer: bool) -> int:
        """Append columns; returns the index of the first."""
        first = self.num_cols
        self._cols.append((_f64(lower), _f64(upper), _f64(cost), integer))
        self.num_cols += len(self._cols[-1][0])
        return first

    def add_rows(self, lower: np.ndarray, upper: np.ndarray) -> int:
        """Append rows ``lower <= a x <= upper``; returns the index of the first."""
        first = self.num_rows
        self._rows.append((_f64(lower), _f64(upper)))
        self.num_rows += len(self._rows[-1][0])
        return first

    def add_entries(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Matrix coefficients; repeated (row, column) pairs are summed."""
        self._entries.append((rows.astype(np.int64), cols.astype(np.int64), _f64(values)))

    def close(self, cols: np.ndarray) -> None:
        """Fix columns at 0 (cheaper than an ``x <= 0`` row)."""
        self._closed.append(cols.astype(np.int64))

    def arrays(self, *, maximise: bool, relax: bool) -> tuple:
        """The arguments of ``Highs.passModel`` for this model, column-wise."""
        lower, upper, cost = (np.concatenate([c[k] for c in self._cols]) for k in range(3))
        upper[_cat(self._closed)] = 0.0
        integer = np.concatenate([np.full(len(c[0]), c[3] and not relax, dtype=np.int32) for c in self._cols])
        row_lower, row_upper = (_cat([r[k] for r in self._rows], np.float64) for k in range(2))
        start, index, value = self._csc()
        sense = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        return (
            self.num_cols,
            self.num_rows,
            len(value),
            int(highspy.MatrixFormat.kColwise),
            int(sense),
            0.0,
            cost,
            lower,
            upper,
            row_lower,
            row_upper,
            start,
            index,
            value,
            integer,
        )

    def _csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column starts, row indices and values with duplicates merged and zeros dropped."""
        rows, cols = (_cat([e[k] for e in self._entries]) for k in range(2))
        vals = _cat([e[2] for e in self._entries], np.float64)
        order = np.lexsort((rows, cols))
        rows, cols, vals = rows[order], cols[order], vals[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        heads = np.flatnonzero(first)
        vals = np.add.reduceat(vals, heads) if len(heads) else vals
        rows, cols = rows[heads], cols[heads]
        keep = vals != 0
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        start = np.searchsorted(cols, np.arange(self.num_cols))
        return start.astype(np.int32), rows.astype(np.int32), vals


def _f64(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def _cat(parts: list[np.ndarray], dtype: type = np.int64) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


@dataclass
class _Starts:
    """The ``x[j,s]`` columns, the model's first: project j's starts are columns
    ``first[j] + s - earliest[j]``, which also index ``project`` and ``start``."""

    first: np.ndarray  # (project,)
    earliest: np.ndarray  # (project,)
    count: np.ndarray  # (project,) number of allowed starts, 0 when none fits
    cols: np.ndarray  # (start,) the column of each start
    project: np.ndarray  # (start,) its project
    start: np.ndarray  # (start,) its start period

    def of(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Project j's start columns and start periods."""
        cols = self.first[j] + np.arange(self.count[j])
        return cols, self.start[cols]

    def column(self, j: int, s: int) -> int | None:
        """The column of project j starting at s; None outside its window."""
        return (
            int(self.first[j] + s - self.earliest[j]) if 0 <= s - self.earliest[j] < self.count[j] else None
        )


def _build(data: ProblemData) -> tuple[_Model, _Starts]:
    model = _Model()
    x = _start_columns(model, data)
    _selection(model, data, x)
    _dependencies(model, data, x)
    _capacity(model, data, x)
    _budget(model, data, x)
    if data.objective == "makespan":
        _makespan(model, data, x)
    return model, x


def _unplaceable_mandatory(data: ProblemData) -> list[int]:
    return [j for j in range(data.num_projects) if data.mandatory[j] and data.latest[j] < data.earliest[j]]


def _start_columns(model: _Model, data: ProblemData) -> _Starts:
    count = np.maximum(data.latest - data.earliest + 1, 0).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    project = np.repeat(np.arange(data.num_projects), count)
    start = data.earliest[project] + np.arange(len(project)) - first[project]
    value = np.array([data.start_value(int(j), int(s)) for j, s in zip(project, start, strict=True)])
    assert model.num_cols == 0, "start columns come first"
    model.add_cols(np.zeros(len(project)), np.ones(len(project)), value, integer=True)
    return _Starts(first, data.earliest, count, np.arange(len(project)), project, start)


def _selection(model: _Model, data: ProblemData, x: _Starts) -> None:
    """At most one start per project; exactly one for mandatory ones."""
    placeable = np.flatnonzero(x.count > 0)
    row0 = model.add_rows(data.mandatory[placeable].astype(float), np.ones(len(placeable)))
    model.add_entries(row0 + np.searchsorted(placeable, x.project), x.cols, np.ones(len(x.cols)))


def _dependencies(model: _Model, data: ProblemData, x: _Starts) -> None:
    """``x[j,s] <= sum of x[pred,s']`` with ``s' + length[pred] + lag <= s``; 0 when no such s'."""
    for j in range(data.num_projects):
        cols, starts = x.of(j)
        for pred, lag in data.predecessors[j]:
            pred_cols, pred_starts = x.of(pred)
            ready = pred_starts[None, :] + int(data.length[pred]) + lag <= starts[:, None]
            some = ready.any(axis=1)
            model.close(cols[~some])
            row0 = model.add_rows(np.full(int(some.sum()), -INF), np.zeros(int(some.sum())))
            which, k = np.nonzero(ready[some])
            model.add_entries(row0 + np.arange(int(some.sum())), cols[some], np.ones(int(some.sum())))
            model.add_entries(row0 + which, pred_cols[k], -np.ones(len(k)))


def _demand_terms(data: ProblemData, x: _Starts) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (period, class, start column, units) of demand that a start would bring."""
    t, c, cols, units = [], [], [], []
    for j in np.flatnonzero(x.count > 0):
        start_cols, starts = x.of(int(j))
        r, i = np.nonzero(data.demand[j])
        shape = (len(starts), len(r))
        t.append((starts[:, None] + r[None, :]).ravel())
        c.append(np.broadcast_to(data.project_classes[j][i], shape).ravel())
        cols.append(np.broadcast_to(start_cols[:, None], shape).ravel())
        units.append(np.broadcast_to(data.demand[j][r, i], shape).ravel())
    return _cat(t), _cat(c), _cat(cols), _cat(units)


def _capacity(model: _Model, data: ProblemData, x: _Starts) -> None:
    """Per period and class, demand = flows to qualifying groups; per group, flows <= capacity."""
    t, c, cols, units = _demand_terms(data, x)
    num_classes = len(data.classes)
    keys, row_of = np.unique(t * num_classes + c, return_inverse=True)
    kt, kc = keys // num_classes, keys % num_classes
    top = np.bincount(row_of, weights=units, minlength=len(keys))  # most a row's demand can be
    demand_row0 = model.add_rows(np.zeros(len(keys)), np.zeros(len(keys)))
    model.add_entries(demand_row0 + row_of, cols, -units / UNITS_PER_HOUR)
    # One flow per (period, class) row and group that qualifies and has hours then.
    cap_t = data.group_capacity[:, kt].T  # (row, group) units
    key, g = np.nonzero(data.group_eligible[:, kc].T & (cap_t > 0))
    most = np.minimum(top[key], cap_t[key, g])
    flow0 = model.add_cols(np.zeros(len(key)), most / UNITS_PER_HOUR, np.zeros(len(key)), integer=False)
    flows = flow0 + np.arange(len(key))
    model.add_entries(demand_row0 + key, flows, np.ones(len(key)))
    _group_limits(model, data, kt[key], g, flows, most)


def _group_limits(
    model: _Model, data: ProblemData, t: np.ndarray, g: np.ndarray, flows: np.ndarray, most: np.ndarray
) -> None:
    """Sum of a group's flows in a period within its capacity, where that can bind."""
    pairs, pair_of = np.unique(t * data.num_groups + g, return_inverse=True)
    pt, pg = pairs // data.num_groups, pairs % data.num_groups
    capacity = data.group_capacity[pg, pt]
    binds = np.bincount(pair_of, weights=most, minlength=len(pairs)) > capacity
    row_of_pair = np.cumsum(binds) - 1
    row0 = model.add_rows(np.full(int(binds.sum()), -INF), capacity[binds] / UNITS_PER_HOUR)
    used = binds[pair_of]
    model.add_entries(row0 + row_of_pair[pair_of[used]], flows[used], np.ones(int(used.sum())))


def _budget(model: _Model, data: ProblemData, x: _Starts) -> None:
    """Cost caps, with CP-SAT's rounding to hundredths (costs up, caps down)."""
    if data.scenario.policy.budget is None:
        return
    period_cost = period_costs(data)
    if data.total_budget is not None:
        whole = np.array([_money(cost.sum()) for cost in period_cost])
        _cap(model, x.cols, whole[x.project], data.total_budget)
    t, cols, amount = _period_spend(x, period_cost)
    if data.period_cost_cap is not None:
        for period, cap in enumerate(data.period_cost_cap):
            _cap(model, cols[t == period], amount[t == period], float(cap))
    if data.year_of_period is not None:
        year = data.year_of_period[t]
        for y, (_, cap) in enumerate(data.year_caps):
            _cap(model, cols[year == y], amount[year == y], cap)


def _period_spend(x: _Starts, period_cost: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (period, start column, hundredths) that a start would spend."""
    t, cols, amount = [], [], []
    for j in np.flatnonzero(x.count > 0):
        start_cols, starts = x.of(int(j))
        money = _money(period_cost[j])
        shape = (len(starts), len(money))
        t.append((starts[:, None] + np.arange(len(money))[None, :]).ravel())
        cols.append(np.broadcast_to(start_cols[:, None], shape).ravel())
        amount.append(np.broadcast_to(money, shape).ravel())
    return _cat(t), _cat(cols), _cat(amount, np.float64)


def _money(amount: np.ndarray | float) -> np.ndarray:
    """Hundredths rounded up, as ``solvers.cpsat.constraints`` does for costs."""
    return np.ceil(np.asarray(amount) * MONEY_SCALE - 1e-6)


def _cap(model: _Model, cols: np.ndarray, hundredths: np.ndarray, cap: float) -> None:
    """One budget row, skipped when it cannot bind and divided by its cap for scaling."""
    limit = math.floor(cap * MONEY_SCALE + 1e-6)
    if hundredths.sum() <= limit:
        return
    scale = max(abs(limit), 1)
    row = model.add_rows(np.array([-INF]), np.array([limit / scale]))
    model.add_entries(np.full(len(cols), row), cols, hundredths / scale)


def _makespan(model: _Model, data: ProblemData, x: _Starts) -> None:
    """Minimise M with ``M >= sum_s (s + length[j]) x[j,s]`` for every project."""
    m = model.add_cols(np.zeros(1), np.array([float(data.num_periods)]), np.ones(1), integer=False)
    placeable = np.flatnonzero(x.count > 0)
    row0 = model.add_rows(np.zeros(len(placeable)), np.full(len(placeable), INF))
    model.add_entries(row0 + np.arange(len(placeable)), np.full(len(placeable), m), np.ones(len(placeable)))
    finish = x.start + data.length[x.project]
    model.add_entries(row0 + np.searchsorted(placeable, x.project), x.cols, -finish.astype(float))


# --- running HiGHS ----------------------------------------------------------------------

_SOLVED = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kModelEmpty)
_INFEASIBLE = (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible)
_STOPPED = (
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kMemoryLimit,
)


def _highs(threads: int, time_limit: float) -> highspy.Highs:
    swallow_banner()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", int(threads))
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    # The flow LPs are large and degenerate: dual simplex did not solve size M's LP in 120 s,
    # IPX (interior point, then crossover for a basis) does in ~15 s, for the root of the MIP too.
    highs.setOptionValue("solver", "ipx")
    highs.setOptionValue("mip_lp_solver", "ipx")
    # HiGHS's thread pool is process-wide and refuses a run with a different thread count.
    highspy.Highs.resetGlobalScheduler(True)
    return highs


def _start_from(highs: highspy.Highs, x: _Starts, hint: dict[int, int]) -> None:
    """Every start column set from ``hint``; HiGHS solves for the flows it implies."""
    hinted = [x.column(j, s) for j, s in hint.items()]
    values = np.isin(x.cols, [col for col in hinted if col is not None]).astype(float)
    highs.setSolution(len(x.cols), x.cols.astype(np.int32), values)


def _relaxation(highs: highspy.Highs) -> MilpResult:
    status = highs.getModelStatus()
    if status in _SOLVED:
        return MilpResult("optimal", None, highs.getInfo().objective_function_value, {}, 0.0)
    return MilpResult(_unsolved(status), None, None, {}, 0.0)


def _incumbent(data: ProblemData, highs: highspy.Highs, x: _Starts) -> MilpResult:
    status, info = highs.getModelStatus(), highs.getInfo()
    has_solution = status in _SOLVED or info.primal_solution_status == highspy.kSolutionStatusFeasible
    if status in _INFEASIBLE or not has_solution:
        return MilpResult(_unsolved(status), None, None, {}, 0.0)
    bound = info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
    values = np.asarray(highs.getSolution().col_value, dtype=float)[x.cols]
    starts = {int(x.project[k]): int(x.start[k]) for k in np.flatnonzero(values > 0.5)}
    ok = verify(data, starts)
    objective = schedule_objective(data, starts)
    return MilpResult(
        ("optimal" if status in _SOLVED else "feasible") if ok else "unknown",
        -objective if data.objective == "makespan" else objective,
        bound,
        starts,
        0.0,
        verified=ok,
        notes=[] if ok else ["the rounded incumbent fails the exact capacity or budget check"],
    )


def _unsolved(status: highspy.HighsModelStatus) -> str:
    if status in _INFEASIBLE:
        return "infeasible"
    return "unknown" if status in _STOPPED else "error"
