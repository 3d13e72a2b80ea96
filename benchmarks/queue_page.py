"""The DPO's queue page with 100,000 requests: the whole page (sign-in checks, query,
count, badges, template) against the floor, the same two queries as raw SQL on the same data.

Run on SQLite and on PostgreSQL; another tenant's 20,000 requests sit in the same tables.
"""
from __future__ import annotations

import os
import pwd
import random
import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from dsar import create_app
from dsar.extensions import db
from dsar.models import RightsRequest, utcnow
from dsar.services.staff_accounts import create_user
from dsar.services.tenants import TenantSpec, create_tenant
from tests.postgres_server import PostgresServer

KEY = "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMTI="
STATES = ["unverified", "verified", "in_progress", "paused", "completed", "completed", "completed", "denied"]
TYPES = ["access", "erasure", "portability", "rectification", "objection", "opt_out"]
VIEWS = {  # what the DPO opens -> the floor's WHERE clause (the same filter, as raw SQL)
    "queue, first page": ("/dashboard/", ""),
    "open requests": ("/dashboard/?status=open",
                      "AND status IN ('unverified','verified','in_progress','paused','scheduled')"),
    "overdue": ("/dashboard/?overdue=1",
                "AND status IN ('unverified','verified','in_progress') AND target_date < :today"),
    "one type, page 40": ("/dashboard/?type=erasure&page=40", "AND type = 'erasure'"),
}


def _fill(tenant_id: int, count: int, rng: random.Random) -> None:
    ring_email = "gAAAAAB-bench-placeholder"  # identifiers are not read by the queue page
    now = utcnow()
    rows = []
    for n in range(count):
        received = now - timedelta(days=rng.uniform(0, 720))
        target = (received + timedelta(days=30)).date()
        rows.append({"tenant_id": tenant_id, "reference": f"BEN-{tenant_id}-{n:07d}", "type": rng.choice(TYPES),
                     "status": rng.choice(STATES), "regime": "gdpr", "channel": "portal", "language": "en",
                     "subject_email_enc": ring_email, "subject_email_hash": f"{n:064x}", "gpc": False,
                     "received_at": received, "due_date": target, "target_date": target, "paused_days": 0,
                     "legal_hold": False, "created_at": received, "updated_at": received})
        if len(rows) == 10_000:
            db.session.execute(sa.insert(RightsRequest), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(RightsRequest), rows)
    db.session.commit()


def _median_ms(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(url: str, work_dir: Path, rows: int, repeat: int) -> list[tuple[str, float, float]]:
    app = create_app({"RATELIMIT_ENABLED": False}, environ={
        "DSAR_DATABASE_URL": url, "DSAR_SECRET_KEY": "bench", "DSAR_ENCRYPTION_KEYS": KEY, "DSAR_ENV": "test",
        "DSAR_SCHEDULER": "off"}, instance_path=str(work_dir / "instance"))
    with app.app_context():
        db.create_all()
        tenant = create_tenant(TenantSpec("bench", "Bench Ltd", "gdpr", "GB"), actor="bench")
        other = create_tenant(TenantSpec("other", "Other Ltd", "gdpr", "GB"), actor="bench")
        user = create_user("dpo@bench.example", "DPO", "bench-password-123", tenant, "dpo", actor="bench")
        db.session.commit()
        rng = random.Random(1)
        _fill(tenant.id, rows, rng)
        _fill(other.id, rows // 5, rng)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
        client = app.test_client()
        with client.session_transaction() as session:
            now = int(time.time())
            session.update({"_user_id": str(user.id), "_fresh": True, "signed_in_at": now, "last_seen": now,
                            "mfa": True, "tenant_id": tenant.id})
        results = []
        for name, (path, where) in VIEWS.items():
            assert client.get(path).status_code == 200  # warm up, and really a page
            page = _median_ms(lambda: client.get(path), repeat)
            floor = _median_ms(lambda: _raw_queue(tenant.id, where), repeat)
            results.append((name, page, floor))
        db.engine.dispose()
    return results


def _raw_queue(tenant_id: int, where: str) -> None:
    params = {"t": tenant_id, "today": date.today()}
    with db.engine.connect() as conn:
        conn.execute(sa.text(f"SELECT count(*) FROM requests WHERE tenant_id = :t {where}"), params).scalar()
        conn.execute(sa.text(f"SELECT * FROM requests WHERE tenant_id = :t {where} "
                             "ORDER BY target_date, id LIMIT 25"), params).all()


def report(rows: int = 100_000, repeat: int = 15) -> None:
    work = Path(tempfile.mkdtemp(prefix="dsar-bench-queue-"))
    pg_dir = work / "pg"
    pg_dir.mkdir()
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(work, pg.pw_uid, pg.pw_gid)
        os.chown(pg_dir, pg.pw_uid, pg.pw_gid)
    server = PostgresServer(pg_dir).start()
    try:
        print(f"Queue page with {rows:,} requests (+{rows // 5:,} of another tenant), median of {repeat}")
        print(f"{'database':11} {'view':20} {'page ms':>8} {'raw SQL ms':>11} {'ratio':>7}")
        for label, url in (("SQLite", f"sqlite:///{work}/queue.db"), ("PostgreSQL", server.url_for("queue"))):
            for name, page, floor in measure(url, work / label, rows, repeat):
                print(f"{label:11} {name:20} {page:8.1f} {floor:11.1f} {page / floor:6.1f}x", flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    report()
