"""Every named job on its schedule (SPEC §7), with APScheduler 3.

* ``dsar run`` starts a BackgroundScheduler inside the web process
  (:func:`start_background_scheduler`); ``dsar worker`` runs a BlockingScheduler
  (:func:`run_worker`) that stops cleanly on SIGTERM: running jobs finish their current
  batch, record the run as stopped, and the process exits.
* Schedules come from the registry (``registry.DECLARED``); a deployment may override
  them with the ``DSAR_JOB_SCHEDULES`` config key (a mapping or its JSON text:
  ``{"retention": {"trigger": "cron", "hour": 4}, "send-mail": null}`` — null disables).
  Interval triggers count from a fixed epoch, so every process agrees on the slots.
* **Each scheduled run executes once**, however many processes schedule it (gunicorn
  workers with the embedded scheduler, several ``dsar worker``): a firing computes its
  *slot* (the scheduled time it belongs to) and claims ``slot:<job>:<time>`` in
  ``job_leases`` with an INSERT only one process can win (:func:`run_scheduled`).

Reading the plan (:func:`schedules`, :func:`next_run`: ``dsar jobs list``, the dashboard)
needs only the triggers; the schedulers and the runner are imported by the functions that
start them (start-up, issue #15).
"""
from __future__ import annotations

import json
import logging
import signal
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from dsar.errors import ConfigurationError, Conflict
from dsar.jobs.registry import declared_jobs
from dsar.models import utcnow

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.base import BaseScheduler

    from dsar.models import JobRun

log = logging.getLogger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
MISFIRE_GRACE = timedelta(hours=1)  # a run late by more than this waits for its next slot
CLAIM_KEPT = timedelta(days=2)
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": int(MISFIRE_GRACE.total_seconds())}
_EXTENSION = "dsar.scheduler"


def schedules(app: Flask) -> dict[str, dict[str, Any]]:
    """Each enabled job's trigger arguments: the registry's, overridden by DSAR_JOB_SCHEDULES."""
    jobs = declared_jobs()
    result = {name: dict(spec.schedule) for name, spec in jobs.items()}
    overrides = app.config.get("DSAR_JOB_SCHEDULES") or {}
    if isinstance(overrides, str):
        try:
            overrides = json.loads(overrides)
        except ValueError:
            raise ConfigurationError("DSAR_JOB_SCHEDULES must be JSON, e.g. "
                                     '{"retention": {"trigger": "cron", "hour": 4}}') from None
    for name, schedule in overrides.items():
        if name not in jobs:
            raise ConfigurationError(f"DSAR_JOB_SCHEDULES names an unknown job {name!r}; known: {', '.join(jobs)}")
        if schedule is None:
            result.pop(name, None)
        else:
            result[name] = dict(schedule)
    for name, schedule in result.items():
        make_trigger(schedule, name)  # refuse a bad schedule at start-up, not at 2 a.m.
    return result


def make_trigger(schedule: dict[str, Any], name: str = "job") -> BaseTrigger:
    """An APScheduler trigger from ``{"trigger": "cron"|"interval", ...}``, in UTC."""
    args = dict(schedule)
    kind = args.pop("trigger", None)
    try:
        if kind == "cron":
            return CronTrigger(timezone=timezone.utc, **args)
        if kind == "interval":
            args.setdefault("start_date", EPOCH)
            return IntervalTrigger(timezone=timezone.utc, **args)
    except (TypeError, ValueError) as error:
        raise ConfigurationError(f"schedule of {name}: {error}") from None
    raise ConfigurationError(f"schedule of {name}: trigger must be cron or interval, not {kind!r}")


def slot_of(trigger: BaseTrigger, now: datetime) -> datetime:
    """The scheduled time a firing at ``now`` belongs to: the trigger's last time ≤ now."""
    slot = None
    moment = trigger.get_next_fire_time(None, now - MISFIRE_GRACE)
    while moment is not None and moment <= now:
        slot = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(microseconds=1))
    return (slot or now.replace(microsecond=0)).astimezone(timezone.utc)


def next_run(schedule: dict[str, Any], now: datetime | None = None) -> datetime | None:
    return make_trigger(schedule).get_next_fire_time(None, now or utcnow())


def run_scheduled(app: Flask, name: str, slot: datetime, *, poll_seconds: float = 5.0) -> JobRun | None:
    """Run job ``name`` for scheduled ``slot`` unless another process already has.

    The process that claims the slot runs it; should the previous slot's run still be
    going elsewhere, it waits for it (up to the misfire grace) rather than lose the slot.
    Returns the run, or None when the slot was claimed elsewhere or could not start.
    """
    from dsar.extensions import db  # start-up: only a scheduler that runs jobs needs these
    from dsar.jobs import leases  # start-up: only a scheduler that runs jobs needs these
    from dsar.jobs.runner import run_job  # start-up: only a scheduler that runs jobs needs these

    with app.app_context():
        if not leases.claim_once(f"slot:{name}:{slot.isoformat()}", max(slot, utcnow()) + CLAIM_KEPT):
            log.info("job %s: slot %s already taken by another process", name, slot.isoformat())
            return None
        leases.forget_expired(f"slot:{name}:")
        give_up = time.monotonic() + MISFIRE_GRACE.total_seconds()
        while True:
            try:
                run = run_job(name, trigger="scheduler")
                db.session.refresh(run)
                db.session.expunge(run)  # stays readable after this app context ends
                return run
            except Conflict as error:
                if time.monotonic() > give_up:
                    log.warning("job %s: slot %s skipped: %s", name, slot.isoformat(), error.message)
                    return None
            time.sleep(poll_seconds)


def _fire(app: Flask, name: str, trigger: BaseTrigger) -> None:
    run_scheduled(app, name, slot_of(trigger, utcnow()))


def build_scheduler(app: Flask, scheduler: BaseScheduler) -> BaseScheduler:
    """Add every scheduled job to ``scheduler`` (not started)."""
    scheduler.configure(timezone=timezone.utc, job_defaults=JOB_DEFAULTS)
    for name, schedule in schedules(app).items():
        trigger = make_trigger(schedule, name)
        scheduler.add_job(_fire, trigger, args=(app, name, trigger), id=name, name=name, replace_existing=True)
    return scheduler


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    """Start the scheduler inside the web process (``dsar run``), once per app."""
    if _EXTENSION not in app.extensions:
        from apscheduler.schedulers.background import BackgroundScheduler  # start-up: `dsar run` only

        scheduler = build_scheduler(app, BackgroundScheduler(daemon=True))
        scheduler.start()
        app.extensions[_EXTENSION] = scheduler
    return app.extensions[_EXTENSION]


def run_worker(app: Flask, announce=print) -> None:
    """``dsar worker``: run the schedule in the foreground until SIGTERM or SIGINT."""
    from apscheduler.events import EVENT_SCHEDULER_STARTED  # start-up: `dsar worker` only
    from apscheduler.schedulers import SchedulerNotRunningError  # start-up: `dsar worker` only
    from apscheduler.schedulers.blocking import BlockingScheduler  # start-up: `dsar worker` only

    from dsar.jobs.runner import request_stop  # start-up: `dsar worker` only

    scheduler = build_scheduler(app, BlockingScheduler())
    names = ", ".join(job.id for job in scheduler.get_jobs())

    def started(event) -> None:
        announce(f"dsar worker: started with {len(scheduler.get_jobs())} scheduled jobs ({names})")

    def stop(signum, frame) -> None:
        announce(f"dsar worker: {signal.Signals(signum).name} received, stopping after the current batch")
        request_stop()
        try:
            scheduler.shutdown(wait=False)
        except SchedulerNotRunningError:
            pass

    scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
    announce("dsar worker: stopped")
