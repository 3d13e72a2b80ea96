"""The runner: what a run records, failures without personal data, interrupted runs,
one run at a time per job and tenant, and the per-tenant fan-out of the retention jobs."""
from __future__ import annotations

import os
import socket
from datetime import timedelta, timezone

import pytest
from sqlalchemy import select

from dsar.errors import Conflict
from dsar.extensions import db
from dsar.jobs import registry
from dsar.jobs.registry import JobSpec
from dsar.jobs.runner import INTERRUPTED, run_job
from dsar.models import AuditEvent, JobLease, JobRun, utcnow
from tests.factories import make_tenant
from tests.sample_app_db import SAMPLE_NOW


NOW = SAMPLE_NOW.replace(tzinfo=timezone.utc)


def _register(monkeypatch, name, func):
    registry.all_jobs()
    monkeypatch.setitem(registry._JOBS, name, JobSpec(name, func, "a test job", {"trigger": "cron", "hour": 1}))


@pytest.mark.calendar
def test_a_run_is_recorded_with_rows_per_rule_and_audited(app, acme):
    run = run_job("retention", tenant_id=acme.id, now=NOW)

    assert (run.status, run.trigger, run.dry_run, run.tenant_id) == ("succeeded", "cli", False, acme.id)
    assert run.finished_at >= run.started_at
    assert run.stats["app.messages: delete after 12 months"] > 0
    event = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "job_run")).scalar_one()
    assert (event.tenant_id, event.actor) == (acme.id, "job:retention")
    assert event.payload["stats"] == run.stats and event.payload["run_id"] == run.id


def test_a_failing_job_becomes_a_failed_run_that_quotes_no_data(app, monkeypatch):
    def explode(ctx):
        ctx.count("things", 3)
        raise ValueError("row of jane.doe@example.com is broken")

    _register(monkeypatch, "explode", explode)

    run = run_job("explode")

    assert run.status == "failed"
    assert run.stats == {"things": 3}
    assert "jane.doe" not in run.error and "ValueError" in run.error
    assert db.session.execute(select(JobLease)).first() is None  # the lease was released


def test_a_database_error_is_described_without_the_databases_message(app, acme, monkeypatch):
    from sqlalchemy import text

    def bad_sql(ctx):
        db.session.execute(text("SELECT * FROM no_table_named_after_jane_doe"))

    _register(monkeypatch, "bad-sql", bad_sql)
    run = run_job("bad-sql")
    assert run.status == "failed"
    assert run.error.startswith("the database refused a statement (") and "jane" not in run.error


@pytest.mark.calendar
def test_a_run_left_running_by_a_dead_process_is_closed_as_interrupted(app, acme):
    stale = JobRun(job="retention", tenant_id=acme.id, status="running", started_at=utcnow() - timedelta(hours=1))
    other_tenant = JobRun(job="retention", tenant_id=None, status="running", started_at=utcnow())
    db.session.add_all([stale, other_tenant])
    db.session.add(JobLease(name=f"run:retention:{acme.id}", holder=f"{socket.gethostname()}:999999:dead",
                            expires_at=utcnow() + timedelta(minutes=20)))
    db.session.commit()

    run = run_job("retention", tenant_id=acme.id, now=NOW)

    db.session.refresh(stale)
    db.session.refresh(other_tenant)
    assert run.status == "succeeded"
    assert (stale.status, stale.error) == ("failed", INTERRUPTED)
    assert other_tenant.status == "running"  # another scope: not this run's business


@pytest.mark.calendar
@pytest.mark.parametrize("holder, expires_in, refused", [
    ("elsewhere:1234:abcd", timedelta(minutes=5), True),  # live on another host
    ("elsewhere:1234:abcd", timedelta(minutes=-1), False),  # expired
    ("THIS-PROCESS:other", timedelta(minutes=5), False),  # an earlier life of this pid
], ids=["live-elsewhere", "expired", "earlier-life-of-this-pid"])
def test_the_same_job_runs_once_at_a_time_per_tenant(app, holder, expires_in, refused):
    # The pid is filled in here, not in the ids: parallel workers must collect identical tests.
    holder = holder.replace("THIS-PROCESS", f"{socket.gethostname()}:{os.getpid()}")
    tenant = make_tenant()
    db.session.add(JobLease(name=f"run:own-retention:{tenant.id}", holder=holder, expires_at=utcnow() + expires_in))
    db.session.commit()

    if refused:
        with pytest.raises(Conflict, match="already running"):
            run_job("own-retention", tenant_id=tenant.id)
        assert db.session.execute(select(JobRun)).first() is None
    else:
        assert run_job("own-retention", tenant_id=tenant.id).status == "succeeded"
    assert run_job("own-retention").status == "succeeded"  # every tenant: another lease


def test_a_run_over_every_tenant_records_each_tenants_run(app, acme):
    bare = make_tenant("bare")

    summary = run_job("retention", now=NOW, trigger="scheduler")

    runs = db.session.execute(select(JobRun).order_by(JobRun.id)).scalars().all()
    assert [(r.job, r.tenant_id, r.trigger) for r in runs] == [
        ("retention", None, "scheduler"), ("retention", acme.id, "scheduler"), ("retention", bare.id, "scheduler")]
    assert runs[2].stats == {"skipped: the tenant has no data map": 1}
    assert summary.status == "succeeded"
    assert summary.stats["tenants"] == 2
    assert summary.stats["tenant acme: rows"] == sum(runs[1].stats.values()) > 0
    assert summary.stats["tenant bare: rows"] == 0


def test_one_tenants_broken_data_map_fails_only_its_own_run(app, acme):
    from tests.jobs.conftest import attach_datamap

    broken = make_tenant("broken")
    attach_datamap(app, broken, "tenant: broken\nsources: []\n")

    summary = run_job("retention", now=NOW)

    by_tenant = {r.tenant_id: r for r in db.session.execute(select(JobRun)).scalars()}
    assert by_tenant[acme.id].status == "succeeded"
    assert by_tenant[broken.id].status == "failed" and "broken.yml" in by_tenant[broken.id].error
    assert summary.status == "failed"
    assert summary.error == f"tenant broken: run {by_tenant[broken.id].id} failed"


def test_a_data_map_of_another_tenant_is_refused(app, sample):
    from tests.jobs.conftest import attach_datamap
    from tests.sample_app_db import sample_datamap_yaml

    beta = make_tenant("beta")
    attach_datamap(app, beta, sample_datamap_yaml(sample.url, tenant="acme"))

    run = run_job("retention", tenant_id=beta.id, now=NOW)

    assert run.status == "failed" and "describes tenant 'acme', not 'beta'" in run.error
