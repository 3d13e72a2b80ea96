"""Retention at scale: purge and IP masking of a million rows, against the raw-SQL floor.

Each measurement runs on a fresh copy of the same table (built once, copied untimed):
``hits(id pk, ip, logged_at indexed)``, the older half past the cutoff, addresses mixed
IPv4 / IPv6 / IPv4-mapped. "dsar" is the retention engine as the jobs run it (keyset
batches of DSAR_JOB_BATCH_SIZE rows, each committed, idempotency tests included); the
"floor" is one raw SQL statement doing the same work in one transaction — what a DBA would
type by hand, and the least time the database needs for it.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from dsar.datamap.loader import parse_datamap
from dsar.datamap.sources import dispose_engines
from dsar.jobs.registry import JobContext
from dsar.retention.enforcement import enforce
from dsar.retention.policy import effective_rules
from dsar.retention.statements import masked_or_none

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
PURGE_DAYS, MASK_DAYS = 90, 30
BATCH = 10_000


@dataclass
class Result:
    engine: str
    work: str
    rows: int
    changed: int
    dsar: float
    floor: float

    @property
    def ratio(self) -> float:
        return self.dsar / self.floor


def _ip(rng: random.Random) -> str:
    kind = rng.randrange(3)
    octets = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    if kind == 0:
        return octets
    if kind == 1:
        return "2001:db8:%x:%x:%x:%x:%x:%x" % tuple(rng.randrange(0x10000) for _ in range(6))
    return "::ffff:" + octets


def _rows(count: int):
    """(id, ip, logged_at): the first half 60..240 days old, the second half 0..25 days."""
    rng = random.Random(42)
    base = NOW.replace(tzinfo=None)
    for i in range(1, count + 1):
        age = timedelta(days=60 + 180 * (count - i) / count) if i <= count // 2 else \
            timedelta(days=25 * (count - i) / count)
        yield i, _ip(rng), (base - age).isoformat(sep=" ")


def _datamap(url: str, rule: str):
    text = (f"tenant: bench\nsources:\n  - name: app\n    url: {json.dumps(url)}\n    tables:\n"
            f"      - {{name: hits, primary_key: id, retention: {rule}}}\n")
    return parse_datamap(text, name="bench.yml")


PURGE_RULE = f"{{after: {PURGE_DAYS} days, from: logged_at, action: delete}}"
MASK_RULE = f"{{after: {MASK_DAYS} days, from: logged_at, action: anonymize_ip, column: ip, level: 1}}"


def _dsar(url: str, rule: str) -> tuple[float, int]:
    datamap = _datamap(url, rule)
    ctx = JobContext(now=NOW)
    rules = effective_rules(datamap, {}, NOW, ("delete", "anonymize_ip"))
    started = time.perf_counter()
    enforce(ctx, datamap, rules, hash_key=b"bench" * 8, batch_size=BATCH)
    elapsed = time.perf_counter() - started
    dispose_engines()
    if ctx.errors:
        raise RuntimeError("; ".join(ctx.errors))
    return elapsed, sum(ctx.stats.values())


def _cutoff(days: int) -> str:
    return (NOW - timedelta(days=days)).replace(tzinfo=None).isoformat(sep=" ")


# --- SQLite ------------------------------------------------------------------------------


class SqliteBench:
    name = "SQLite"

    def __init__(self, rows: int, folder: Path):
        self.rows = rows
        self.template = folder / "template.db"
        self.work = folder / "work.db"
        conn = sqlite3.connect(self.template)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE hits (id INTEGER PRIMARY KEY, ip VARCHAR(45), logged_at DATETIME NOT NULL)")
        conn.executemany("INSERT INTO hits VALUES (?, ?, ?)", _rows(rows))
        conn.execute("CREATE INDEX ix_hits_logged_at ON hits (logged_at)")
        conn.commit()
        conn.close()

    def fresh(self) -> str:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.template, self.work)
        return f"sqlite:///{self.work}"

    def _raw(self, sql: str, *params, functions=False) -> tuple[float, int]:
        self.fresh()
        conn = sqlite3.connect(self.work)
        if functions:
            conn.create_function("mask_ip", 2, masked_or_none, deterministic=True)
        started = time.perf_counter()
        changed = conn.execute(sql, params).rowcount
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.close()
        return elapsed, changed

    def floor_purge(self):
        return self._raw("DELETE FROM hits WHERE logged_at < ?", _cutoff(PURGE_DAYS))

    def floor_mask(self):
        return self._raw("UPDATE hits SET ip = mask_ip(ip, 1) WHERE logged_at < ?", _cutoff(MASK_DAYS), functions=True)

    def close(self) -> None:
        pass


# --- PostgreSQL --------------------------------------------------------------------------


class PostgresBench:
    name = "PostgreSQL"

    def __init__(self, rows: int, folder: Path):
        from tests.postgres_server import PostgresServer

        self.rows = rows
        self.server = PostgresServer(folder / "pg").start()
        self.url = self.server.url_for("bench")
        self.engine = sa.create_engine(self.url)
        with self.engine.begin() as conn:
            print("PostgreSQL", conn.exec_driver_sql("SHOW server_version").scalar(), flush=True)
            conn.exec_driver_sql("CREATE TABLE template (id integer, ip varchar(45), logged_at timestamp)")
            cursor = conn.connection.driver_connection.cursor()
            with cursor.copy("COPY template (id, ip, logged_at) FROM STDIN") as copy:
                for row in _rows(rows):
                    copy.write_row(row)

    def fresh(self) -> str:
        with self.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS hits")
            conn.exec_driver_sql("CREATE TABLE hits AS SELECT * FROM template")
            conn.exec_driver_sql("ALTER TABLE hits ADD PRIMARY KEY (id)")
            conn.exec_driver_sql("CREATE INDEX ix_hits_logged_at ON hits (logged_at)")
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE hits")
        return self.url

    def _raw(self, sql: str, cutoff: str) -> tuple[float, int]:
        self.fresh()
        with self.engine.connect() as conn:
            started = time.perf_counter()
            changed = conn.execute(sa.text(sql), {"cutoff": cutoff}).rowcount
            conn.commit()
            return time.perf_counter() - started, changed

    def floor_purge(self):
        return self._raw("DELETE FROM hits WHERE logged_at < :cutoff", _cutoff(PURGE_DAYS))

    def floor_mask(self):
        return self._raw(
            "UPDATE hits SET ip = CASE WHEN family(ip::inet) = 4 THEN host(network(set_masklen(ip::inet, 24))) "
            "WHEN ip::inet << '::ffff:0.0.0.0/96'::inet THEN host(network(set_masklen(ip::inet, 120))) "
            "ELSE host(network(set_masklen(ip::inet, 64))) END WHERE logged_at < :cutoff", _cutoff(MASK_DAYS))

    def close(self) -> None:
        self.engine.dispose()
        self.server.stop()


def run(rows: int) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="dsar-bench-") as tmp:
        folder = Path(tmp)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")  # the server runs as postgres when we are root
        for bench_class in (SqliteBench, PostgresBench):
            bench = bench_class(rows, folder)
            try:
                for work, rule, floor in (("purge", PURGE_RULE, bench.floor_purge),
                                          ("mask IPs (level 1)", MASK_RULE, bench.floor_mask)):
                    floor_time, floor_rows = floor()
                    dsar_time, dsar_rows = _dsar(bench.fresh(), rule)
                    if dsar_rows != floor_rows:
                        raise RuntimeError(f"{bench.name} {work}: dsar changed {dsar_rows} rows, the floor {floor_rows}")
                    results.append(Result(bench.name, work, rows, dsar_rows, dsar_time, floor_time))
            finally:
                bench.close()
    return results


def report(rows: int) -> list[Result]:
    """Run and print the table (markdown, as in RESULTS.md)."""
    print(f"retention: purge and IP masking, {rows:,} rows per table", flush=True)
    results = run(rows)
    print()
    print("| engine | work | rows changed | dsar (s) | floor: raw SQL (s) | dsar / floor |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.engine} | {r.work} | {r.changed:,} of {r.rows:,} | {r.dsar:.2f} | {r.floor:.2f} | {r.ratio:.2f} |")
    return results
