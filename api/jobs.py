"""The job runner: solves run on the shared executor, never on the event loop.

The queue lives in the database (jobs with status ``queued``), so nothing queued is lost
when the server stops. One thread in the server submits a task per job while slots are
free (``engine.executor``: a local process per job by default, or a Dask cluster when
``CAPACITY_DASK_SCHEDULER`` names one), reads its progress and result, and writes them to
the database.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db import transaction, utcnow
from api.models import Job, Plan, ScenarioRevision
from api.worker import recommend_job, solve_job
from engine.executor import Executor, Task, make_executor

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
PROGRESS_WRITE_EVERY_S = 0.5
GRACE_S = 60.0  # beyond the time limit: assignment and explanations, on a loaded machine


@dataclass
class _Running:
    job_id: str
    task: Task
    deadline: float
    outcome: tuple[str, Any] | None = None
    progress: dict[str, Any] | None = None
    written: float = field(default=0.0)

    @property
    def process(self) -> Any:
        """The local process running the job (None on Dask)."""
        return getattr(self.task, "process", None)


class JobRunner:
    """Runs queued jobs on an executor, at most ``workers`` at once (on Dask: the cluster's threads)."""

    def __init__(self, sessions: sessionmaker[Session], workers: int, executor: Executor | None = None):
        self._sessions = sessions
        self._workers = workers
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="job-runner")
        # solver imports paid once in the forkserver, not per job
        self._executor = executor or make_executor(workers=workers, preload=["api.worker"])

    # -- control -------------------------------------------------------------------------
    def start(self) -> None:
        """Mark jobs a previous server left running as failed, then start taking jobs."""
        with transaction(self._sessions) as session:
            failed = session.execute(
                update(Job)
                .where(Job.status == "running")
                .values(status="failed", finished_at=utcnow(), error="the server stopped during this job")
            )
        if failed.rowcount:  # type: ignore[attr-defined]
            log.warning("%d job(s) were running when the server last stopped: marked failed", failed.rowcount)  # type: ignore[attr-defined]
        self._thread.start()

    def stop(self) -> None:
        """Stop taking jobs; running ones go back to the queue, to run on the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        with self._lock:
            running = list(self._running.values())
            self._running.clear()
        for job in running:
            job.task.cancel()
            job.task.poll()  # releases what the task held
        self._executor.close()
        if running:
            with transaction(self._sessions) as session:
                session.execute(
                    update(Job)
                    .where(Job.id.in_([r.job_id for r in running]), Job.status == "running")
                    .values(status="queued", started_at=None, progress=None)
                )

    def wake(self) -> None:
        """A job was queued: look now rather than at the next tick."""
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        """Stop the job's task if it is running (its status is set by the caller)."""
        with self._lock:
            running = self._running.get(job_id)
        if running is not None:
            running.task.cancel()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def active_jobs(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(Job).where(Job.status.in_(ACTIVE))) or 0

    # -- the loop ------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._launch()
                self._collect(timeout=0.2)
            except Exception:  # a database hiccup must not stop the runner for good
                log.exception("job runner")
                time.sleep(1.0)

    def _launch(self) -> None:
        free = self._executor.parallelism(self._workers) - len(self._running)
        if free <= 0:
            return
        with self._sessions() as session:
            queued = session.scalars(
                select(Job).where(Job.status == "queued").order_by(Job.created_at, Job.id).limit(free)
            ).all()
        for job in queued:
            self._start(job)

    def _start(self, job: Job) -> None:
        with transaction(self._sessions) as session:
            claimed = session.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == "queued")
                .values(status="running", started_at=utcnow())
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return  # cancelled meanwhile
            document = job.document or session.get_one(ScenarioRevision, job.revision_id).document
            payload = {"document": document}
            if job.kind == "recommend":
                payload["plan"] = session.get_one(Plan, job.params["plan_id"]).document
        run = recommend_job if job.kind == "recommend" else solve_job
        task = self._executor.submit(run, payload | {"params": job.params}, name=f"{job.kind}-{job.id}")
        allowed = float(job.params["time_limit_s"]) * (3 if job.kind == "recommend" else 1)
        deadline = time.monotonic() + allowed + GRACE_S
        with self._lock:
            self._running[job.id] = _Running(job.id, task, deadline)

    def _collect(self, timeout: float) -> None:
        with self._lock:
            running = list(self._running.values())
        if running:
            self._executor.wait([r.task for r in running], timeout)
        elif self._wake.wait(timeout):
            self._wake.clear()
        for job in running:
            self._read(job)
            if job.outcome is not None:
                self._finish(job)
            elif time.monotonic() > job.deadline:
                job.task.cancel()
                job.outcome = ("failed", "the solve ran far over its time limit and was stopped")
                self._finish(job)

    def _read(self, job: _Running) -> None:
        events = job.task.poll()
        if events:
            job.progress = finite(events[-1])
        job.outcome = job.task.outcome
        if job.progress is not None and time.monotonic() - job.written >= PROGRESS_WRITE_EVERY_S:
            job.written = time.monotonic()
            with transaction(self._sessions) as session:
                session.execute(
                    update(Job)
                    .where(Job.id == job.job_id, Job.status == "running")
                    .values(progress=job.progress)
                )

    def _finish(self, job: _Running) -> None:
        with self._lock:
            self._running.pop(job.job_id, None)
        kind, data = job.outcome or ("failed", "the solve ended without a result")
        try:
            self._record(job.job_id, kind, finite(data))
        except Exception as exc:  # e.g. the database went away: the job must not stay "running"
            log.exception("job %s: could not record its result", job.job_id)
            self._record(job.job_id, "failed", f"the result could not be saved: {type(exc).__name__}")
        log.info("job %s: %s", job.job_id, kind)

    def _record(self, job_id: str, kind: str, data: Any) -> None:
        with transaction(self._sessions) as session:
            row = session.get(Job, job_id, with_for_update=True)
            if row is None or row.status != "running":
                return  # cancelled: its status is already final
            row.finished_at = utcnow()
            if kind == "done" and isinstance(data, dict) and row.kind == "solve":
                self._save_plan(session, row, data)
            elif kind == "done" and isinstance(data, dict):
                row.status, row.result = "done", data
            else:
                row.status, row.error = "failed", str(data)

    @staticmethod
    def _save_plan(session: Session, job: Job, document: dict[str, Any]) -> None:
        plan = Plan(
            organisation_id=job.organisation_id,
            scenario_id=job.scenario_id,
            revision_id=job.revision_id,
            job_id=job.id,
            status=document["status"],
            objective=document.get("objective"),
            document=document,
        )
        session.add(plan)
        session.flush()
        job.status, job.plan_id = "done", plan.id
        job.progress = {
            "incumbent": document.get("objective"),
            "bound": document.get("bound"),
            "gap": document.get("gap"),
            "elapsed": document.get("solve_seconds"),
        }


def finite(data: Any) -> Any:
    """JSON has no NaN or infinity (PostgreSQL refuses them): they become null."""
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list):
        return [finite(v) for v in data]
    return data
