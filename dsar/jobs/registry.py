"""Where named jobs are declared (SPEC §7).

A job is a plain function taking a ``JobContext``; the module that owns the work declares
it with ``@job(...)``, and ``JOB_MODULES`` lists those modules so every process (web,
worker, CLI) knows the same jobs. The runner (recording, leases, progress) lives in
``dsar.jobs.runner``; a job only does its work and counts what it did.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dsar.errors import NotFound

#: Modules that declare jobs with @job; imported once by ``all_jobs()``.
JOB_MODULES = (
    "dsar.retention.jobs",          # retention, anonymize-ips, own-retention
    "dsar.services.verification",   # expire-unverified
    "dsar.services.reminders",      # sla-reminders
    "dsar.services.fulfilment",     # execute-erasures, expire-exports
    "dsar.mail.outbox",             # send-mail (retries of the transactional outbox)
)


@dataclass
class JobContext:
    """What a running job knows and reports: the clock, the scope, and its counts."""

    now: datetime
    dry_run: bool = False
    tenant_id: int | None = None  # None: every tenant
    stats: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    progress: Callable[[str, int, int | None], None] = lambda label, done, total: None

    def count(self, rule: str, rows: int) -> None:
        """Add ``rows`` to the tally of ``rule`` (shown per rule in the run record)."""
        self.stats[rule] = self.stats.get(rule, 0) + rows


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[JobContext], Any]
    description: str
    #: APScheduler trigger arguments, e.g. {"trigger": "cron", "hour": 2} — the default
    #: schedule, overridable per deployment.
    schedule: dict[str, Any]


_JOBS: dict[str, JobSpec] = {}


def job(name: str, *, description: str, schedule: dict[str, Any]):
    """Declare a named job."""

    def register(func: Callable[[JobContext], Any]):
        _JOBS[name] = JobSpec(name, func, description, schedule)
        return func

    return register


def all_jobs() -> dict[str, JobSpec]:
    # No try: a renamed or missing module must fail loudly, not silently drop its jobs.
    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(sorted(_JOBS.items()))


def get_job(name: str) -> JobSpec:
    jobs = all_jobs()
    if name not in jobs:
        raise NotFound(f"no job named {name!r}; known jobs: {', '.join(jobs) or 'none'}",
                       details={"field": "name"})
    return jobs[name]
