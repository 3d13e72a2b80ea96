"""A worker killed with SIGKILL in the middle of an erasure leaves the customer database as
it was (one transaction per source), and the next run finishes the erasure.

PostgreSQL makes the moment exact: the test holds an EXCLUSIVE lock on ``accounts`` (reads
pass, writes wait), so the worker has planned and deleted the subject's child rows inside
its transaction and is waiting to delete the account when it is killed.
"""
import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from dsar import create_app
from dsar.extensions import db
from dsar.models import RightsRequest, utcnow
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.clock import dsar_command
from tests.conftest import environ_for
from tests.downloads.fixtures import make_request, write_datamap
from tests.factories import make_tenant
from tests.sample_app_db import create_sample_app, sample_datamap_yaml, snapshot

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

ROOT = Path(__file__).resolve().parents[2]


def _waiting_on_accounts(conn) -> bool:
    return conn.execute(sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'accounts' AND NOT l.granted")).scalar() > 0


def _run_job(env) -> subprocess.Popen:
    return subprocess.Popen(dsar_command("jobs", "run", "execute-erasures", "--tenant", "acme"), env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_mid_erasure_then_rerun(pg_server, tmp_path):
    names = [f"{kind}_{uuid.uuid4().hex[:10]}" for kind in ("dsar", "customer")]
    app_url, customer_url = (pg_server.url_for(name) for name in names)
    environ = environ_for(app_url, tmp_path)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}, **environ}
    app = create_app({"TESTING": True}, environ=environ, instance_path=str(tmp_path))
    with app.app_context():
        db.create_all()
        sample = create_sample_app(customer_url)
        datamap_dir = Path(app.config["DSAR_DATAMAP_DIR"])
        datamap_dir.mkdir(parents=True)
        tenant = make_tenant("acme", datamap_path=write_datamap(datamap_dir, sample_datamap_yaml(customer_url)))
        request = make_request(tenant, "erasure")
        fulfil(request, "test")
        request.erasure_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        before = snapshot(customer_url)

        holder = sa.create_engine(customer_url)
        lock = holder.connect()
        transaction = lock.begin()
        lock.execute(sa.text("LOCK TABLE accounts IN EXCLUSIVE MODE"))
        worker = _run_job(env)
        try:
            with holder.connect() as watcher:
                deadline = time.monotonic() + 90
                while not _waiting_on_accounts(watcher):
                    assert worker.poll() is None, worker.communicate()
                    assert time.monotonic() < deadline, "the worker never reached the accounts table"
                    time.sleep(0.2)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        finally:
            transaction.rollback()
            lock.close()
            holder.dispose()

        assert worker.returncode == -signal.SIGKILL
        assert snapshot(customer_url) == before, "a killed erasure must leave no half-erased subject"
        db.session.expire_all()
        assert db.session.get(RightsRequest, request.id).status == "scheduled"

        rerun = _run_job(env)
        out, err = rerun.communicate(timeout=180)
        assert rerun.returncode == 0, out + err
        after = snapshot(customer_url)
        alice = sample.subject("alice@example.com")
        for table in ("conversations", "messages"):  # mapped "delete"
            left = {row[0] for row in after[table]}
            assert not left & alice.rows[table], f"{table}: the subject's rows survived the re-run"
        # The account stays as an anonymised shell (her retained invoices point at it); the same
        # address in another business sharing the database is someone else's and stays.
        accounts = {row[0]: row for row in after["accounts"]}
        assert alice.email not in accounts[alice.account_id]
        twin = sample.subject(alice.email, business_id=7)
        assert accounts[twin.account_id] == next(r for r in before["accounts"] if r[0] == twin.account_id)
        others = {row[0] for row in before["messages"]} - alice.rows["messages"]
        assert others <= {row[0] for row in after["messages"]}, "another subject's rows were touched"
        assert alice.rows["invoices"] <= {row[0] for row in after["invoices"]}, "tax records must be retained"
        db.session.expire_all()
        assert db.session.get(RightsRequest, request.id).status == "completed"
        db.session.remove()
        db.engine.dispose()
    for name in names:
        pg_server.drop(name)
