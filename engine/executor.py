"""One way to run work: local worker processes, or a Dask cluster.

The batch runner, the frontier and the API's job runner all run their solves through an
:class:`Executor`. A task is a picklable function and a payload; the function is called
as ``fn(payload, report)`` where ``report(event)`` sends a progress event (a dict) back,
and what it returns is the task's result. Raising :class:`TaskFailed` fails the task with
that message as its reason; any other exception fails it with the exception named.

- :class:`LocalExecutor` starts one process per task (forked from a forkserver that has
  the solver imported already, so a start costs milliseconds), reads progress and the
  result through a pipe, and cancels by terminating the process. A process that dies
  fails its task with the reason (killed by which signal, or its exit code).
- :class:`DaskExecutor` submits tasks to a ``distributed`` cluster started with Dask's own
  tools (``dask scheduler``, ``dask worker``). Progress is coarse: no events while a task
  runs, only its end. Cancelling releases a queued task; a task already running on a
  worker runs to its end (its time limit) and its result is discarded.

:func:`make_executor` picks one: Dask when ``scheduler`` or ``CAPACITY_DASK_SCHEDULER``
names a scheduler's address, local processes otherwise.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger(__name__)
SCHEDULER_ENV = "CAPACITY_DASK_SCHEDULER"
PROGRESS_EVERY_S = 0.25  # progress events sent at most this often from a local task
Report = Callable[[dict[str, Any]], None]
TaskFunction = Callable[[Any, Report], Any]
Outcome = tuple[str, Any]  # ("done", result) or ("failed", reason)


class TaskFailed(Exception):
    """Raised by a task to fail with exactly this message as its reason."""


class Task(ABC):
    """One submitted task: its progress events, its outcome once finished, and cancel."""

    outcome: Outcome | None = None

    @abstractmethod
    def poll(self) -> list[dict[str, Any]]:
        """Progress events received since the last poll; sets :attr:`outcome` once finished."""

    @abstractmethod
    def cancel(self) -> None:
        """Stop the task (see the module notes for what that means on Dask)."""

    @property
    def finished(self) -> bool:
        return self.outcome is not None


class Executor(ABC):
    """Runs tasks; at most :attr:`slots` usefully at once."""

    slots: int = 1

    @abstractmethod
    def submit(self, fn: TaskFunction, payload: Any, *, name: str = "task") -> Task:
        """Start (or queue) ``fn(payload, report)``."""

    @abstractmethod
    def wait(self, tasks: Sequence[Task], timeout: float) -> None:
        """Return when one of ``tasks`` may have news, or after ``timeout`` seconds."""

    def parallelism(self, local: int) -> int:
        """How many tasks to keep running at once: ``local`` here, the cluster's threads on Dask."""
        return local

    def close(self) -> None:
        """Release the executor's resources (running tasks are not waited for)."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(
    scheduler: str | None = None, workers: int | None = None, preload: Sequence[str] = ("engine.planner",)
) -> Executor:
    """Dask when ``scheduler`` (or ``CAPACITY_DASK_SCHEDULER``) names one, else local processes.

    ``workers`` is how many local processes run at once (default: the number of cores);
    on Dask the cluster's own threads decide.
    """
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        return DaskExecutor(address)
    return LocalExecutor(workers or os.cpu_count() or 1, preload=preload)


# -- local processes ------------------------------------------------------------------------
class LocalTask(Task):
    """A task in its own process, talking through a pipe."""

    def __init__(self, process: BaseProcess, conn: Connection):
        self.process, self.conn = process, conn

    def poll(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        exited = self.process.exitcode is not None  # before reading: then all it sent is in the pipe
        try:
            while self.outcome is None and self.conn.poll():
                kind, data = self.conn.recv()
                if kind == "progress":
                    events.append(data)
                else:
                    self.outcome = (kind, data)
        except (EOFError, OSError):
            pass
        if self.outcome is None and exited:
            self.outcome = ("failed", died(self.process.exitcode))
        if self.outcome is not None:
            self._release()
        return events

    def cancel(self) -> None:
        """Terminate the process (the pipe is closed by the next :meth:`poll`, in the owner's thread)."""
        if self.process.exitcode is None:
            self.process.terminate()
        self.process.join(timeout=5)
        if self.outcome is None:
            self.outcome = ("failed", "cancelled")

    def _release(self) -> None:
        self.process.join(timeout=5)
        self.conn.close()

    @property
    def handles(self) -> list[Any]:
        return [] if self.conn.closed else [self.conn, self.process.sentinel]


class LocalExecutor(Executor):
    """Each task in its own process from a forkserver (spawn off Linux)."""

    def __init__(self, workers: int = 1, *, preload: Sequence[str] = ("engine.planner",)):
        self.slots = max(1, workers)
        if sys.platform.startswith("linux"):
            context: Any = mp.get_context("forkserver")
            context.set_forkserver_preload(list(preload))  # imports paid once, not per task
        else:  # pragma: no cover - not exercised on the Linux CI
            context = mp.get_context("spawn")
        self._context = context

    def submit(self, fn: TaskFunction, payload: Any, *, name: str = "task") -> LocalTask:
        parent_conn, child_conn = self._context.Pipe(duplex=False)
        process = self._context.Process(target=_child, args=(fn, payload, child_conn), daemon=True, name=name)
        process.start()
        child_conn.close()
        return LocalTask(process, parent_conn)

    def wait(self, tasks: Sequence[Task], timeout: float) -> None:
        handles = [h for t in tasks if isinstance(t, LocalTask) for h in t.handles]
        if handles:
            wait(handles, timeout=timeout)
        else:
            time.sleep(timeout)


def _child(fn: TaskFunction, payload: Any, conn: Connection) -> None:
    """In the task's process: run it, send progress (throttled) and the outcome."""
    _exit_with_parent()
    last = 0.0

    def report(event: dict[str, Any]) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            conn.send(("progress", dict(event)))

    try:
        conn.send(("done", fn(payload, report)))
    except TaskFailed as exc:
        conn.send(("failed", str(exc)))
    except Exception as exc:  # the task fails with its reason; the caller carries on
        log.exception("task failed")
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _exit_with_parent() -> None:
    """Stop working if the parent dies, rather than burn a core for nobody."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(3)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def died(exitcode: int | None) -> str:
    """Why a worker process ended without a result, in words."""
    if exitcode is not None and exitcode < 0:
        return f"the solver process was killed (signal {-exitcode}); the machine may be short of memory"
    return f"the solver process stopped unexpectedly (exit code {exitcode})"


# -- Dask -------------------------------------------------------------------------------------
class DaskTask(Task):
    """A task as a Dask future: its end is its only progress."""

    def __init__(self, future: Any):
        self.future = future

    def poll(self) -> list[dict[str, Any]]:
        if self.outcome is None and self.future.done():
            self.outcome = _future_outcome(self.future)
        return []

    def cancel(self) -> None:
        self.future.cancel()
        if self.outcome is None:
            self.outcome = ("failed", "cancelled")


def _future_outcome(future: Any) -> Outcome:
    if future.status == "finished":
        return ("done", future.result())
    if future.status == "cancelled":
        return ("failed", "cancelled")
    error = future.exception()
    if isinstance(error, TaskFailed):
        return ("failed", str(error))
    return ("failed", f"{type(error).__name__}: {error}")


def _dask_call(fn: TaskFunction, payload: Any) -> Any:
    """On a Dask worker: run the task with progress going nowhere."""
    return fn(payload, lambda event: None)


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster at ``address`` (``tcp://host:8786``)."""

    def __init__(self, address: str):
        from distributed import Client

        self.client = Client(address, set_as_default=False)
        self.slots = 1_000_000  # the scheduler queues; there is no reason to hold tasks back here

    def submit(self, fn: TaskFunction, payload: Any, *, name: str = "task") -> DaskTask:
        return DaskTask(self.client.submit(_dask_call, fn, payload, pure=False))

    def wait(self, tasks: Sequence[Task], timeout: float) -> None:
        futures = [t.future for t in tasks if isinstance(t, DaskTask) and t.outcome is None]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not any(f.done() for f in futures):
            time.sleep(0.02)

    def parallelism(self, local: int) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def close(self) -> None:
        self.client.close()


# -- running many ---------------------------------------------------------------------------
def run_all(
    executor: Executor,
    fn: TaskFunction,
    payloads: Sequence[Any],
    *,
    names: Sequence[str] | None = None,
    on_done: Callable[[int, Outcome], None] | None = None,
    on_progress: Callable[[int, dict[str, Any]], None] | None = None,
    poll_s: float = 0.2,
) -> list[Outcome]:
    """Run ``fn`` on every payload, at most ``executor.slots`` at once; outcomes in input order.

    ``on_done(i, outcome)`` is called as each task ends (in completion order), and
    ``on_progress(i, event)`` with each progress event. A failed task does not stop the rest.
    """
    outcomes: list[Outcome | None] = [None] * len(payloads)
    pending = list(range(len(payloads)))
    running: dict[int, Task] = {}
    try:
        while pending or running:
            while pending and len(running) < executor.slots:
                i = pending.pop(0)
                running[i] = executor.submit(fn, payloads[i], name=names[i] if names else f"task-{i}")
            executor.wait(list(running.values()), poll_s)
            for i, task in list(running.items()):
                for event in task.poll():
                    if on_progress is not None:
                        on_progress(i, event)
                if task.outcome is not None:
                    outcomes[i] = task.outcome
                    del running[i]
                    if on_done is not None:
                        on_done(i, task.outcome)
    finally:
        for task in running.values():  # an error or Ctrl-C: stop what is still running
            task.cancel()
            task.poll()
    return [o if o is not None else ("failed", "not run") for o in outcomes]
