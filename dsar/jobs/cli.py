"""``dsar jobs list``, ``dsar jobs run NAME [--tenant SLUG] [--dry-run]``, ``dsar worker``.

The database and the models are imported inside the commands: ``dsar jobs --help`` loads
click and this module only (start-up, issue #15).
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

from dsar.cli_base import DsarGroup

if TYPE_CHECKING:
    from dsar.models import JobRun

jobs_cli = DsarGroup("jobs", help="List and run the scheduled jobs.")


@jobs_cli.command("list")
@with_appcontext
def jobs_list():
    """Each job with its schedule, next run and last run."""
    from dsar.jobs.registry import declared_jobs  # start-up: imported when used
    from dsar.jobs.scheduler import next_run, schedules  # start-up: imported when used

    planned = schedules(current_app)
    click.echo(f"{'job':18} {'schedule':24} {'next run (UTC)':17} last run")
    for name in declared_jobs():
        schedule = planned.get(name)
        when = next_run(schedule) if schedule else None
        click.echo(f"{name:18} {_schedule_text(schedule):24} {_time(when):17} {_last_run(name)}")


def _schedule_text(schedule: dict | None) -> str:
    if not schedule:
        return "off"
    args = {k: v for k, v in schedule.items() if k != "trigger"}
    if schedule.get("trigger") == "cron" and set(args) <= {"hour", "minute"}:
        return f"daily {int(args.get('hour', 0)):02d}:{int(args.get('minute', 0)):02d}"
    return schedule.get("trigger", "?") + " " + " ".join(f"{k}={v}" for k, v in args.items())


def _time(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _last_run(name: str) -> str:
    from sqlalchemy import select  # start-up: imported when used

    from dsar.extensions import db  # start-up: imported when used
    from dsar.models import JobRun, Tenant  # start-up: imported when used

    run = db.session.execute(select(JobRun).where(JobRun.job == name).order_by(JobRun.id.desc()).limit(1)).scalar()
    if run is None:
        return "never"
    scope = ""
    if run.tenant_id is not None:
        scope = " " + (db.session.get(Tenant, run.tenant_id).slug)
    dry = " (dry run)" if run.dry_run else ""
    return f"{_time(run.started_at)} {run.status}{dry}, {run.trigger}{scope}"


@jobs_cli.command("run")
@click.argument("name")
@click.option("--tenant", "slug", help="Only this tenant (default: every tenant).")
@click.option("--dry-run", is_flag=True, help="Count what would change; write nothing.")
@with_appcontext
def jobs_run(name, slug, dry_run):
    """Run job NAME now, showing progress, then rows per rule."""
    from dsar.jobs.registry import get_job  # start-up: imported when used
    from dsar.jobs.runner import run_job  # start-up: imported when used
    from dsar.extensions import db  # start-up: imported when used
    from dsar.models import Tenant  # start-up: imported when used
    from dsar.services.tenants import get_tenant  # start-up: imported when used

    get_job(name)
    tenant = get_tenant(slug) if slug else None
    line = _LiveLine()
    run = run_job(name, tenant_id=tenant.id if tenant else None, dry_run=dry_run, trigger="cli", progress=line)
    line.clear()
    for tenant_run in _tenant_runs(run):
        click.echo(f"{db.session.get(Tenant, tenant_run.tenant_id).slug}: {tenant_run.status}")
        _print_stats(tenant_run.stats)
        for error in (tenant_run.error or "").splitlines():
            click.echo(f"error: {error}", err=True)
    _print_stats(run.stats)
    scope = f" for {slug}" if slug else ""
    note = " (dry run: counted only, nothing written)" if dry_run else ""
    click.echo(f"{name}{scope}: {run.status}{note}, run {run.id}")
    if run.status != "succeeded":
        for error in (run.error or "").splitlines():
            click.echo(f"error: {error}", err=True)
        sys.exit(1)


def _print_stats(stats: dict) -> None:
    for rule, rows in stats.items():
        click.echo(f"  {rows:>10}  {rule}")


def _tenant_runs(run: JobRun) -> list[JobRun]:
    """The per-tenant runs a run over every tenant started (recorded within its span)."""
    if run.tenant_id is not None:
        return []
    from sqlalchemy import select  # start-up: imported when used

    from dsar.extensions import db  # start-up: imported when used
    from dsar.models import JobRun  # start-up: imported when used

    return db.session.execute(select(JobRun).where(
        JobRun.job == run.job, JobRun.tenant_id.is_not(None), JobRun.id > run.id,
        JobRun.started_at >= run.started_at, JobRun.finished_at <= run.finished_at).order_by(JobRun.id)).scalars().all()


class _LiveLine:
    """One line on stderr, rewritten as batches complete (only on a terminal)."""

    def __init__(self):
        self.stream = sys.stderr
        self.live = self.stream.isatty()
        self.width = 0

    def __call__(self, label: str, done: int, total: int | None) -> None:
        if not self.live:
            return
        text = f"{label}: {done}" + (f"/{total}" if total else "") + " rows"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.live and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


@click.command("worker")
@with_appcontext
def worker_command():
    """Run the scheduled jobs in the foreground (stops cleanly on SIGTERM)."""
    from dsar.jobs.scheduler import run_worker  # start-up: imported when used

    run_worker(current_app._get_current_object(), announce=lambda text: click.echo(text))
