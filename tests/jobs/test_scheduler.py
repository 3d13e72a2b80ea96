"""Scheduling: slots, schedule overrides, one execution per slot across processes, the
embedded scheduler, and `dsar worker` stopping cleanly on SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from dsar.errors import ConfigurationError
from dsar.extensions import db
from dsar.jobs import runner
from dsar.jobs.runner import run_job
from dsar.jobs.scheduler import make_trigger, run_scheduled, schedules, slot_of, start_background_scheduler
from dsar.models import JobLease, JobRun
from tests.clock import dsar_command
from tests.factories import make_tenant
from tests.sample_app_db import SAMPLE_NOW

UTC = timezone.utc


@pytest.mark.parametrize("schedule, fired_at, slot", [
    ({"trigger": "cron", "hour": 2, "minute": 0}, datetime(2025, 6, 1, 2, 0, 0, 300000, UTC), datetime(2025, 6, 1, 2, 0, tzinfo=UTC)),
    ({"trigger": "cron", "hour": 2, "minute": 0}, datetime(2025, 6, 1, 2, 59, tzinfo=UTC), datetime(2025, 6, 1, 2, 0, tzinfo=UTC)),
    ({"trigger": "interval", "minutes": 15}, datetime(2025, 6, 1, 10, 16, 5, tzinfo=UTC), datetime(2025, 6, 1, 10, 15, tzinfo=UTC)),
    ({"trigger": "cron", "minute": "*/5"}, datetime(2025, 6, 1, 0, 4, 59, tzinfo=UTC), datetime(2025, 6, 1, 0, 0, tzinfo=UTC)),
])
def test_a_firing_belongs_to_the_slot_it_was_scheduled_for(schedule, fired_at, slot):
    assert slot_of(make_trigger(schedule), fired_at) == slot


def test_schedules_come_from_the_registry_and_can_be_overridden(app):
    assert schedules(app)["retention"] == {"trigger": "cron", "minute": 0, "hour": 2}
    app.config["DSAR_JOB_SCHEDULES"] = '{"retention": {"trigger": "cron", "hour": 4}, "anonymize-ips": null}'
    planned = schedules(app)
    assert planned["retention"] == {"trigger": "cron", "hour": 4}
    assert "anonymize-ips" not in planned and "own-retention" in planned


@pytest.mark.parametrize("overrides, message", [
    ('{"make-coffee": {"trigger": "cron"}}', "unknown job 'make-coffee'"),
    ('{"retention": {"trigger": "weekly"}}', "trigger must be cron or interval, not 'weekly'"),
    ('{"retention": {"trigger": "cron", "hour": 25}}', "schedule of retention:"),
    ("{retention", "DSAR_JOB_SCHEDULES must be JSON"),
])
def test_a_bad_schedule_is_refused_at_start_up(app, overrides, message):
    app.config["DSAR_JOB_SCHEDULES"] = overrides
    with pytest.raises(ConfigurationError, match=message):
        schedules(app)


def test_a_slot_runs_once_in_one_process(app):
    make_tenant()
    slot = datetime(2025, 6, 1, 3, 0, tzinfo=UTC)

    first, second = run_scheduled(app, "own-retention", slot), run_scheduled(app, "own-retention", slot)

    assert first is not None and first.trigger == "scheduler" and second is None
    assert run_scheduled(app, "own-retention", slot + timedelta(days=1)) is not None


RACE = """
import os, sys, time
from datetime import datetime, timezone
from dsar import create_app
from dsar.jobs.scheduler import run_scheduled
app = create_app()
ready, go = sys.argv[1], sys.argv[2]
open(ready + str(os.getpid()), "w").close()
while not os.path.exists(go):
    time.sleep(0.001)
ran = sum(run_scheduled(app, "own-retention", datetime(2025, 1, 1, 3, minute, tzinfo=timezone.utc),
                        poll_seconds=0.05) is not None for minute in range(6))
print(ran)
"""


def test_two_worker_processes_run_each_slot_exactly_once(app, app_environ, tmp_path):
    make_tenant("one")
    make_tenant("two")
    env = {**app_environ, "PATH": os.environ["PATH"]}
    ready, go = tmp_path / "ready-", tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", RACE, str(ready), str(go)], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    outputs = [worker.communicate(timeout=300) for worker in workers]

    assert [w.returncode for w in workers] == [0, 0], [err for _, err in outputs]
    assert sum(int(out) for out, _ in outputs) == 6
    per_slot = db.session.execute(select(JobRun.tenant_id, func.count()).group_by(JobRun.tenant_id)).all()
    assert sorted(per_slot, key=str) == sorted([(None, 6), *((t, 6) for t in _tenant_ids())], key=str)


def _tenant_ids():
    from dsar.models import Tenant

    return db.session.execute(select(Tenant.id)).scalars().all()


def test_the_embedded_scheduler_runs_jobs_on_their_schedule(app):
    make_tenant()
    app.config["DSAR_JOB_SCHEDULES"] = {"own-retention": {"trigger": "interval", "seconds": 1},
                                        "retention": None, "anonymize-ips": None}
    scheduler = start_background_scheduler(app)
    try:
        assert start_background_scheduler(app) is scheduler  # once per app
        assert "own-retention" in {job.id for job in scheduler.get_jobs()}
        deadline = time.monotonic() + 30
        while not db.session.execute(select(JobRun.id).where(JobRun.trigger == "scheduler")).first():
            assert time.monotonic() < deadline, "the scheduler never ran own-retention"
            time.sleep(0.1)
            db.session.rollback()
    finally:
        scheduler.shutdown(wait=True)


def test_a_stop_request_ends_the_job_after_its_current_batch(app, monkeypatch):
    from tests.jobs.conftest import attach_datamap
    from tests.retention.conftest import create_table
    from tests.jobs.test_crash import hits_table

    url = f"sqlite:///{app.instance_path}/hits.db"
    create_table(url, hits_table(), [{"id": i, "path": "/", "logged_at": datetime(2020, 1, 1)} for i in range(1, 101)])
    tenant = make_tenant("acme")
    attach_datamap(app, tenant, f'tenant: acme\nsources:\n  - name: app\n    url: "{url}"\n    tables:\n'
                                "      - {name: hits, primary_key: id, retention: {after: 1 day, from: logged_at, action: delete}}\n")
    app.config["DSAR_JOB_BATCH_SIZE"] = "10"
    try:
        run = run_job("retention", tenant_id=tenant.id, now=SAMPLE_NOW.replace(tzinfo=UTC),
                      progress=lambda label, done, total: runner.request_stop())
    finally:
        runner._stop.clear()

    assert run.status == "failed" and run.error.startswith("stopped: the worker was asked to shut down")
    assert run.stats == {"app.hits: delete after 1 day": 10}


def test_dsar_worker_stops_cleanly_on_sigterm(app_environ, tmp_path):
    env = {**app_environ, "PATH": os.environ["PATH"], "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(dsar_command("worker"), env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = worker.stdout.readline()
        assert first.startswith("dsar worker: started with "), worker.stderr.read() if not first else first
        assert "retention" in first and "own-retention" in first
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert out.splitlines()[-1] == "dsar worker: stopped"
    assert "SIGTERM received" in out


def test_two_dsar_worker_processes_share_the_schedule(app, app_environ, tmp_path):
    """Two real `dsar worker` processes on one database, a job every 2 seconds: each slot runs
    once, whichever worker claims it (the schedule comes from DSAR_JOB_SCHEDULES)."""
    make_tenant("one")
    quiet = {name: None for name in ("retention", "anonymize-ips", "own-retention", "sla-reminders",
                                     "expire-unverified", "execute-erasures", "expire-exports")}
    schedule = json.dumps({**quiet, "send-mail": {"trigger": "cron", "second": "*/2"}})
    env = {**app_environ, "PATH": os.environ["PATH"], "PYTHONUNBUFFERED": "1", "DSAR_JOB_SCHEDULES": schedule}
    workers = [subprocess.Popen(dsar_command("worker"), env=env,
                                cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        for worker in workers:
            assert worker.stdout.readline().startswith("dsar worker: started with "), worker.stderr.read()
        _wait_for_runs("send-mail", at_least=3, within_seconds=120)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        results = [worker.communicate(timeout=60) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in results]
    db.session.remove()
    starts = db.session.execute(select(JobRun.started_at).where(
        JobRun.job == "send-mail", JobRun.tenant_id.is_(None))).scalars().all()
    assert len(starts) >= 3
    # Each slot is claimed once (a unique row, kept two days); one run per claimed slot.
    claims = db.session.execute(select(func.count()).select_from(JobLease).where(
        JobLease.name.startswith("slot:send-mail:"))).scalar_one()
    assert len(starts) == claims, f"{len(starts)} runs for {claims} slots"


def _wait_for_runs(job: str, at_least: int, within_seconds: float) -> None:
    """Poll until ``at_least`` finished runs of ``job`` are recorded: a busy machine waits longer, never fails."""
    deadline = time.monotonic() + within_seconds
    while True:
        db.session.remove()
        done = db.session.execute(select(func.count()).select_from(JobRun).where(
            JobRun.job == job, JobRun.finished_at.is_not(None))).scalar_one()
        if done >= at_least:
            return
        assert time.monotonic() < deadline, f"only {done} finished {job} runs after {within_seconds} s"
        time.sleep(0.2)
