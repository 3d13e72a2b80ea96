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


@dataclass(frozen=True)
class Declared:
    """A job as listed before its module is imported: where it lives, what it does, when it runs."""

    name: str
    module: str
    description: str
    schedule: dict[str, Any]
    #: Whether a run may write a message (templates, translations): ``dsar jobs run`` of a job
    #: that cannot starts without the web app (start-up, issue #15). A new job says so, or gets it.
    sends_messages: bool = True


NIGHTLY = {"trigger": "cron", "minute": 0}

#: Every job, as data (STYLE rule 11): listing them (``dsar jobs list``, the scheduler's
#: plan) reads this table alone; running one imports its module, whose ``@job(name)``
#: binds the function.
DECLARED: dict[str, Declared] = {d.name: d for d in (
    Declared("retention", "dsar.retention.jobs",
             "Delete and anonymize rows past their retention period (the data map's delete and anonymize "
             "rules), in every source database.", {**NIGHTLY, "hour": 2}, sends_messages=False),
    Declared("anonymize-ips", "dsar.retention.jobs",
             "Mask IP addresses past their period (the data map's anonymize_ip rules, Matomo levels).",
             {**NIGHTLY, "hour": 2, "minute": 30}, sends_messages=False),
    Declared("own-retention", "dsar.retention.jobs",
             "The platform's own records: requester IPs, closed requests' identifiers after the record-keeping "
             "period, used codes, expired exports, old mail bodies.", {**NIGHTLY, "hour": 3}, sends_messages=False),
    Declared("expire-unverified", "dsar.services.verification",
             "Close requests whose e-mail address was never confirmed within the tenant's "
             "unverified_expiry_days (default 14), telling the address.", {"trigger": "interval", "hours": 1}),
    Declared("sla-reminders", "dsar.services.reminders",
             "Remind staff N days before each request's target date and on the day, and send each tenant a "
             "daily digest of overdue requests.", {"trigger": "cron", "minute": 15}),
    Declared("execute-erasures", "dsar.services.fulfilment",
             "Erase the subjects of scheduled erasure requests whose grace period has ended, send the result "
             "letter and list the Art. 19 recipients.", {"trigger": "interval", "minutes": 15}),
    Declared("expire-exports", "dsar.services.fulfilment",
             "Delete access and portability exports whose download link has expired.",
             {"trigger": "interval", "hours": 1}),
    Declared("send-mail", "dsar.mail.outbox",
             "Send the messages still waiting in the outbox, retrying failed sends with backoff.",
             {"trigger": "interval", "minutes": 1}),
)}

#: Modules that declare jobs with @job; imported by ``all_jobs()``.
JOB_MODULES = tuple(dict.fromkeys(declared.module for declared in DECLARED.values()))

_JOBS: dict[str, JobSpec] = {}


def job(name: str):
    """Bind the function that does job ``name`` (declared in ``DECLARED``)."""
    declared = DECLARED.get(name)
    if declared is None:
        raise LookupError(f"job {name!r} is not declared in dsar.jobs.registry.DECLARED")

    def register(func: Callable[[JobContext], Any]):
        _JOBS[name] = JobSpec(name, func, declared.description, declared.schedule)
        return func

    return register


def declared_jobs() -> dict[str, Declared]:
    """Every job by name, without importing any of them (listing and scheduling)."""
    return dict(sorted(DECLARED.items()))


def all_jobs() -> dict[str, JobSpec]:
    # No try: a renamed or missing module must fail loudly, not silently drop its jobs.
    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(sorted(_JOBS.items()))


def get_job(name: str) -> JobSpec:
    """The job ``name``, its module imported (only that one when it is declared)."""
    if name in DECLARED:
        importlib.import_module(DECLARED[name].module)
    if name not in _JOBS:
        jobs = all_jobs()
        if name not in jobs:
            raise NotFound(f"no job named {name!r}; known jobs: {', '.join(jobs) or 'none'}",
                           details={"field": "name"})
    return _JOBS[name]
