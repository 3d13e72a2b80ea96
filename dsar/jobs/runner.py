"""Run a named job and record the run (SPEC §7): start, end, rows per rule, errors.

Every way a job starts — the CLI, the scheduler, the API — goes through :func:`run_job`,
which

* holds a lease ``run:<job>:<tenant>`` so the same job never runs twice at once for the
  same tenant (a second start is refused with a Conflict naming the holder);
* closes, as *interrupted*, earlier runs of the same job and tenant left ``running`` by a
  process that died (their batches were committed; this run carries on their work);
* records a :class:`~dsar.models.JobRun` and an audit event ``job_run``;
* turns an exception into a failed run whose error text names the kind of failure but
  never repeats a database message (those can quote a row's values: personal data).

The context's ``progress`` also renews the lease and, once the worker was asked to stop
(SIGTERM), raises :class:`JobInterrupted` between two batches.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import exc

from dsar.errors import Conflict, DsarError, NotFound
from dsar.extensions import db
from dsar.jobs import leases
from dsar.jobs.registry import JobContext, get_job
from dsar.models import JobRun, Tenant, utcnow
from dsar.services import audit
from dsar.services.checkpoint import checkpoint

log = logging.getLogger(__name__)

RUN_LEASE = timedelta(minutes=30)
RENEW_EVERY_SECONDS = 60
INTERRUPTED = "interrupted: the process stopped before the run finished (the next run resumes the work)"
MAX_ERROR_TEXT = 4000
_stop = threading.Event()

Progress = Callable[[str, int, "int | None"], None]


class JobInterrupted(Exception):
    """The worker is shutting down: the job stops after its last committed batch."""


def request_stop() -> None:
    """Ask running jobs to stop at their next batch (SIGTERM in ``dsar worker``)."""
    _stop.set()


def stop_requested() -> bool:
    return _stop.is_set()


def check_stop() -> None:
    """Raise JobInterrupted once a stop was requested (call between units of work)."""
    if _stop.is_set():
        raise JobInterrupted("stopped: the worker was asked to shut down (the next run resumes the work)")


@dataclass
class RunContext(JobContext):
    """A JobContext that also knows how the run started and which record it writes."""

    trigger: str = "cli"
    run_id: int | None = None


#: The count under which a run over every tenant records how many tenants it ran.
TENANTS = "tenants"
SKIPPED = "tenants skipped: already running"


def for_each_tenant(ctx: JobContext, job: str, work: Callable[[JobContext, Tenant], None]) -> None:
    """Do ``work`` for the run's tenant; a run over every tenant starts one recorded run of
    ``job`` per tenant instead, so one tenant's bad setting or broken data map fails only its own run
    (the others go on) and each tenant sees, in its own records, the runs that touched it.

    The one way a job walks tenants: jobs call this rather than looping themselves.
    """
    if ctx.tenant_id is not None:
        tenant = db.session.get(Tenant, ctx.tenant_id)
        if tenant is None:
            raise NotFound(f"no tenant with id {ctx.tenant_id}")
        work(ctx, tenant)
        return
    for tenant_id, slug in db.session.execute(sa.select(Tenant.id, Tenant.slug).order_by(Tenant.id)).all():
        check_stop()
        try:
            run = run_job(job, tenant_id=tenant_id, dry_run=ctx.dry_run,
                          trigger=getattr(ctx, "trigger", "cli"), now=ctx.now, progress=ctx.progress)
        except Conflict:
            ctx.count(SKIPPED, 1)
            continue
        ctx.count(TENANTS, 1)
        ctx.count(f"tenant {slug}: rows", _rows_changed(run.stats))
        if run.status == "failed":
            ctx.errors.append(f"tenant {slug}: run {run.id} failed")
    check_stop()


def run_job(name: str, *, tenant_id: int | None = None, dry_run: bool = False, trigger: str = "cli",
            now: datetime | None = None, progress: Progress | None = None) -> JobRun:
    """Run job ``name`` now (for one tenant, or every tenant when ``tenant_id`` is None).

    Returns the finished JobRun (``succeeded`` or ``failed``). Raises NotFound for an
    unknown job and Conflict when the same job already runs for the same tenant.
    """
    spec = get_job(name)
    checkpoint("lease")  # the lease and the record use their own short transactions
    lease = f"run:{name}:{'*' if tenant_id is None else tenant_id}"
    current = leases.acquire(lease, RUN_LEASE)
    if current is not None:
        scope = "" if tenant_id is None else f" for tenant {tenant_id}"
        raise Conflict(f"job {name} is already running{scope} (in {current}); try again when it has finished")
    try:
        _close_interrupted(name, tenant_id)
        run = JobRun(job=name, tenant_id=tenant_id, trigger=trigger, dry_run=dry_run, status="running",
                     started_at=utcnow(), stats={})
        db.session.add(run)
        checkpoint("lease")
        ctx = RunContext(now=now or utcnow(), dry_run=dry_run, tenant_id=tenant_id, trigger=trigger,
                         run_id=run.id, progress=_Progress(progress, lease))
        try:
            spec.func(ctx)
        except Exception as error:  # a job's failure becomes a failed run, never a crash
            db.session.rollback()
            ctx.errors.append(describe_error(error))
            trace = "" if isinstance(error, (DsarError, JobInterrupted)) else \
                "\n" + "".join(traceback.format_tb(error.__traceback__))
            log.error("job %s (run %s) failed: %s%s", name, run.id, describe_error(error), trace)
        return _finish(run, ctx)
    finally:
        leases.release(lease)


def _rows_changed(stats: dict[str, int]) -> int:
    """What a tenant's run did, in one number: every count but the ``skipped: …`` notes."""
    return sum(rows for label, rows in stats.items() if not label.startswith("skipped:"))


def _close_interrupted(name: str, tenant_id: int | None) -> None:
    same_tenant = JobRun.tenant_id.is_(None) if tenant_id is None else JobRun.tenant_id == tenant_id
    db.session.execute(sa.update(JobRun).where(JobRun.job == name, same_tenant, JobRun.status == "running")
                       .values(status="failed", finished_at=utcnow(), error=INTERRUPTED))


def _finish(run: JobRun, ctx: RunContext) -> JobRun:
    run.status = "failed" if ctx.errors else "succeeded"
    run.finished_at = utcnow()
    run.stats = dict(ctx.stats)
    run.error = "\n".join(ctx.errors)[:MAX_ERROR_TEXT] or None
    audit.record(run.tenant_id, "job_run", f"job:{run.job}", payload={
        "run_id": run.id, "status": run.status, "dry_run": run.dry_run, "trigger": run.trigger,
        "stats": run.stats})
    checkpoint("lease")
    return run


def describe_error(error: BaseException) -> str:
    """A failure in words fit for a run record: no values from the database in it."""
    if isinstance(error, DsarError):
        return error.message
    if isinstance(error, JobInterrupted):
        return str(error)
    if isinstance(error, exc.DBAPIError):
        code = getattr(error.orig, "sqlstate", None)
        kind = type(error.orig).__name__ if error.orig is not None else type(error).__name__
        return f"the database refused a statement ({kind}{f', SQLSTATE {code}' if code else ''})"
    return f"unexpected {type(error).__name__} (the worker log has the traceback)"


class _Progress:
    """Passes progress on, keeps the run's lease alive, and stops the job on request."""

    def __init__(self, inner: Progress | None, lease: str):
        self.inner = inner
        self.lease = lease
        self.renewed = time.monotonic()

    def __call__(self, label: str, done: int, total: int | None) -> None:
        if time.monotonic() - self.renewed > RENEW_EVERY_SECONDS:
            self.renewed = time.monotonic()
            try:
                leases.renew(self.lease, RUN_LEASE)
            except exc.OperationalError:  # busy database: the next batch renews
                log.warning("could not renew the lease %s", self.lease)
        if self.inner is not None:
            self.inner(label, done, total)
        check_stop()
