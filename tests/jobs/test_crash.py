"""Crash safety: `dsar jobs run retention` killed with SIGKILL mid-run leaves every batch
either committed or not, and the next run finishes the work."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from dsar.extensions import db
from dsar.jobs.runner import INTERRUPTED, run_job
from dsar.models import JobRun, utcnow
from tests.clock import dsar_command
from tests.factories import make_tenant
from tests.jobs.conftest import attach_datamap
from tests.retention.conftest import create_table

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

OLD_ROWS, FRESH_ROWS, BATCH = 40_000, 300, 25


def hits_table() -> sa.Table:
    return sa.Table("hits", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("path", sa.String(100), nullable=False), sa.Column("logged_at", sa.DateTime, nullable=False))


def counts(engine) -> tuple[int, int]:
    """(old rows left, fresh rows left)."""
    edge = (utcnow() - timedelta(days=90)).replace(tzinfo=None)
    with engine.connect() as conn:
        hits = hits_table()
        old = conn.execute(select(sa.func.count()).select_from(hits).where(hits.c.logged_at < edge)).scalar_one()
        total = conn.execute(select(sa.func.count()).select_from(hits)).scalar_one()
    return old, total - old


def test_a_killed_run_leaves_whole_batches_and_the_next_run_finishes(app, app_environ, customer_url, tmp_path):
    now = utcnow().replace(tzinfo=None)
    rows = [{"id": i, "path": "/old", "logged_at": now - timedelta(days=200, seconds=i)} for i in range(1, OLD_ROWS + 1)]
    rows += [{"id": OLD_ROWS + i, "path": "/new", "logged_at": now - timedelta(days=1)} for i in range(1, FRESH_ROWS + 1)]
    create_table(customer_url, hits_table(), rows)
    tenant = make_tenant("acme")
    attach_datamap(app, tenant, f"""tenant: acme
sources:
  - name: app
    url: "{customer_url}"
    tables:
      - name: hits
        primary_key: id
        retention: {{after: 90 days, from: logged_at, action: delete}}
""")
    env = {**app_environ, "DSAR_JOB_BATCH_SIZE": str(BATCH), "PATH": os.environ["PATH"]}
    engine = sa.create_engine(customer_url)
    worker = subprocess.Popen(dsar_command("jobs", "run", "retention", "--tenant", "acme"),
                              env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while counts(engine)[0] > OLD_ROWS - 4 * BATCH and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=60)
    assert worker.returncode == -signal.SIGKILL, worker.stderr.read().decode()

    old_left, fresh_left = counts(engine)
    deleted = OLD_ROWS - old_left
    assert deleted > 0 and old_left > 0, "the kill must land mid-run"
    # Batches go oldest first (the highest ids here), each committed whole or not at all:
    # what is left of the old rows is exactly the newest of them, with no hole.
    with engine.connect() as conn:
        left = set(conn.execute(sa.text("SELECT id FROM hits WHERE path = '/old'")).scalars())
    assert left == set(range(1, old_left + 1))
    assert fresh_left == FRESH_ROWS
    killed = db.session.execute(select(JobRun)).scalar_one()
    assert killed.status == "running"

    run = run_job("retention", tenant_id=tenant.id)

    assert run.status == "succeeded"
    assert run.stats == {"app.hits: delete after 90 days": old_left}
    assert counts(engine) == (0, FRESH_ROWS)
    db.session.refresh(killed)
    assert (killed.status, killed.error) == ("failed", INTERRUPTED)
    engine.dispose()
