"""Retention at scale: purge and IP masking, against the raw-SQL floor.

Each measurement runs on a fresh copy of the same table (built once, copied untimed):
``hits(id pk, ip, logged_at indexed)``, the older half past the cutoff, addresses mixed
IPv4 / IPv6 / IPv4-mapped. "dsar" is the retention engine as the jobs run it (keyset
batches of at most DSAR_JOB_BATCH_SIZE rows sized by time, each committed, idempotency tests included), measured
twice: in-process (``enforce``) and as the whole ``dsar jobs run retention|anonymize-ips
--tenant bench`` process an operator starts; the "floor" is one raw SQL statement doing
the same work in one transaction — what a DBA would type by hand, and the least time the
database needs for it. The ratio printed is floor / dsar: 1 means dsar is as fast as the
floor. The longest transaction is the longest any one batch held open (begin to commit),
measured in-process.

SQLite is measured with ``logged_at`` declared as text (VARCHAR) and as a timestamp
(DATETIME; SQLite stores both as ISO text); PostgreSQL with a ``timestamp`` column.

"The run after" is masking again a copy whose addresses past the cutoff are masked already
(by the floor's statement, untimed): what every later daily ``anonymize-ips`` costs, since
each reads every row past its cutoff again. Its floor is the raw ``UPDATE`` that changes only
rows whose masked address differs; it changes none, and dsar must change none either (so the
floor's masking and dsar's agree on every row of the bench). It has no target in issue #15.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from operator import methodcaller
from pathlib import Path

import sqlalchemy as sa

from dsar.datamap.loader import parse_datamap
from dsar.datamap.sources import dispose_engines
from dsar.jobs.registry import JobContext
from dsar.retention.enforcement import BATCH_SECONDS, enforce
from dsar.retention.overrides import effective_rules
from dsar.retention.statements import masked_or_none

#: The bench's "now": the real time it starts, so the ``dsar jobs run`` process reads the clock
#: as an operator's does (no clock patched into it: time-machine imported pytest, up to 0.16 s
#: of each process). Rows are 0..12.5 days old or 150..240, far from both cutoffs (30 and 90
#: days), so the minutes between this moment and a process's own change no row's fate.
NOW = datetime.now(timezone.utc).replace(microsecond=0)
PURGE_DAYS, MASK_DAYS = 90, 30
BATCH = 100_000  # DSAR_JOB_BATCH_SIZE's default (dsar/config.py)
#: The works measured (``WORKS``), as the table names them.
PURGE, MASK, MASK_AGAIN = "purge", "mask IPs (level 1)", "mask IPs, the run after"
#: Purges take under 1.5 s a side, and this machine's speed varies by up to twofold from one
#: run to the next (PostgreSQL's floor: 0.55 to 1.22 s on identical copies minutes apart), so
#: best of 3 often compares a lucky floor with an unlucky dsar or the reverse: they take more
#: turns (cheap next to masking's 10-20 s a side).
PURGE_TURNS = 7


@dataclass
class Result:
    engine: str
    work: str
    rows: int
    changed: int
    dsar: float
    floor: float
    process: float | None
    longest: float

    @property
    def ratio(self) -> float:
        """floor / dsar: 1 means dsar is as fast as the floor."""
        return self.floor / self.dsar

    @property
    def process_ratio(self) -> float | None:
        return self.floor / self.process if self.process else None


class _LongestTransaction:
    """The longest time any connection held a transaction open (begin to commit/rollback)."""

    def __init__(self):
        self.longest = 0.0
        self._began: dict[int, float] = {}

    def __enter__(self):
        sa.event.listen(sa.engine.Engine, "begin", self._begin)
        sa.event.listen(sa.engine.Engine, "commit", self._end)
        sa.event.listen(sa.engine.Engine, "rollback", self._end)
        return self

    def __exit__(self, *exc_info):
        sa.event.remove(sa.engine.Engine, "begin", self._begin)
        sa.event.remove(sa.engine.Engine, "commit", self._end)
        sa.event.remove(sa.engine.Engine, "rollback", self._end)

    def _begin(self, conn):
        self._began[id(conn)] = time.perf_counter()

    def _end(self, conn):
        began = self._began.pop(id(conn), None)
        if began is not None:
            self.longest = max(self.longest, time.perf_counter() - began)


def _ip(rng: random.Random) -> str:
    kind = rng.randrange(3)
    octets = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
    if kind == 0:
        return octets
    if kind == 1:
        return "2001:db8:%x:%x:%x:%x:%x:%x" % tuple(rng.randrange(0x10000) for _ in range(6))
    return "::ffff:" + octets


def _rows(count: int):
    """(id, ip, logged_at): the first half 150..240 days old, the second half 0..12.5 days."""
    rng = random.Random(42)
    base = NOW.replace(tzinfo=None)
    for i in range(1, count + 1):
        age = timedelta(days=60 + 180 * (count - i) / count) if i <= count // 2 else \
            timedelta(days=25 * (count - i) / count)
        yield i, _ip(rng), (base - age).isoformat(sep=" ")


def _datamap_text(url: str, rule: str) -> str:
    return (f"tenant: bench\nsources:\n  - name: app\n    url: {json.dumps(url)}\n    tables:\n"
            f"      - {{name: hits, primary_key: id, retention: {rule}}}\n")


def _datamap(url: str, rule: str):
    return parse_datamap(_datamap_text(url, rule), name="bench.yml")


PURGE_RULE = f"{{after: {PURGE_DAYS} days, from: logged_at, action: delete}}"
MASK_RULE = f"{{after: {MASK_DAYS} days, from: logged_at, action: anonymize_ip, column: ip, level: 1}}"


def _dsar(url: str, rule: str, batch: int) -> tuple[float, int, float]:
    datamap = _datamap(url, rule)
    ctx = JobContext(now=NOW)
    rules = effective_rules(datamap, {}, NOW, ("delete", "anonymize_ip"))
    with _LongestTransaction() as transactions:
        started = time.perf_counter()
        enforce(ctx, datamap, rules, hash_key=b"bench" * 8, batch_size=batch)
        elapsed = time.perf_counter() - started
    dispose_engines()
    if ctx.errors:
        raise RuntimeError("; ".join(ctx.errors))
    return elapsed, sum(ctx.stats.values()), transactions.longest


class Platform:
    """A dsar instance (its own SQLite database) with tenant ``bench``, for whole-process runs."""

    def __init__(self, folder: Path):
        from dsar import create_app
        from dsar.extensions import db
        from tests.conftest import environ_for
        from tests.factories import make_tenant

        self.instance = folder / "instance"
        self.instance.mkdir()
        self.env = {**os.environ, **environ_for(f"sqlite:///{self.instance}/dsar.db", self.instance)}
        self.app = create_app(environ=self.env, instance_path=str(self.instance))
        with self.app.app_context():
            db.create_all()
            self.tenant_id = make_tenant("bench").id
            db.engine.dispose()

    def run(self, job: str, url: str, rule: str, batch: int) -> tuple[float, str]:
        from dsar.extensions import db
        from dsar.models import Tenant

        datamaps = Path(self.env["DSAR_DATAMAP_DIR"])
        datamaps.mkdir(exist_ok=True)
        (datamaps / "bench.yml").write_text(_datamap_text(url, rule))
        with self.app.app_context():
            db.session.get(Tenant, self.tenant_id).datamap_path = "bench.yml"
            db.session.commit()
            db.engine.dispose()
        # The console script an operator runs, on the real clock (see NOW).
        command = [str(Path(sys.executable).parent / "dsar"), "jobs", "run", job, "--tenant", "bench"]
        started = time.perf_counter()
        done = subprocess.run(command, env={**self.env, "DSAR_JOB_BATCH_SIZE": str(batch)},
                              cwd=self.instance, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"dsar jobs run {job} failed: {done.stderr[-2000:]}")
        return elapsed, done.stdout


def _cutoff(days: int) -> str:
    return (NOW - timedelta(days=days)).replace(tzinfo=None).isoformat(sep=" ")


# --- SQLite ------------------------------------------------------------------------------


#: The bench's addresses masked at level 1 on SQLite: dsar's own ``mask_ip``, as a function.
_SQLITE_MASKED = "mask_ip(ip, 1)"


class SqliteBench:
    name = "SQLite"
    column = "DATETIME"

    def __init__(self, rows: int, folder: Path):
        self.rows = rows
        self.template = folder / f"template-{self.column}.db"
        self.work = folder / "work.db"
        self.url = f"sqlite:///{self.work}"
        conn = sqlite3.connect(self.template)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"CREATE TABLE hits (id INTEGER PRIMARY KEY, ip VARCHAR(45), logged_at {self.column} NOT NULL)")
        conn.executemany("INSERT INTO hits VALUES (?, ?, ?)", _rows(rows))
        conn.execute("CREATE INDEX ix_hits_logged_at ON hits (logged_at)")
        conn.commit()
        conn.close()

    def fresh(self) -> str:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.work}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.template, self.work)
        return self.url

    def _raw(self, copy: Callable[[], str], sql: str, *params, functions=False) -> tuple[float, int]:
        copy()
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
        return self._raw(self.fresh, "DELETE FROM hits WHERE logged_at < ?", _cutoff(PURGE_DAYS))

    def floor_mask(self):
        return self._raw(self.fresh, f"UPDATE hits SET ip = {_SQLITE_MASKED} WHERE logged_at < ?", _cutoff(MASK_DAYS),
                         functions=True)

    def masked(self) -> str:
        """A fresh copy whose addresses past the cutoff the floor's statement has masked."""
        self.floor_mask()
        return self.url

    def floor_mask_again(self):
        return self._raw(self.masked, f"UPDATE hits SET ip = {_SQLITE_MASKED} WHERE logged_at < ? "
                                      f"AND ip IS NOT {_SQLITE_MASKED}", _cutoff(MASK_DAYS), functions=True)

    def count(self) -> int:
        with sqlite3.connect(self.work) as conn:
            return conn.execute("SELECT count(*) FROM hits").fetchone()[0]

    def close(self) -> None:
        pass


class SqliteTextBench(SqliteBench):
    name = "SQLite, text column"
    column = "VARCHAR(32)"
    works = (PURGE,)  # masking does not depend on the column's type


SqliteBench.name = "SQLite, timestamp column"


# --- PostgreSQL --------------------------------------------------------------------------


#: The bench's addresses masked at level 1 by PostgreSQL itself (the floor's statement).
_PG_MASKED = ("CASE WHEN family(ip::inet) = 4 THEN host(network(set_masklen(ip::inet, 24))) "
              "WHEN ip::inet << '::ffff:0.0.0.0/96'::inet THEN host(network(set_masklen(ip::inet, 120))) "
              "ELSE host(network(set_masklen(ip::inet, 64))) END")


class PostgresBench:
    name = "PostgreSQL, timestamp column"

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
        self._settle()
        return self.url

    def _settle(self) -> None:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE hits")
            # The copy's pages are written out before either side is timed: otherwise a
            # checkpoint falls inside whichever run comes next, and times it, not the engine.
            conn.exec_driver_sql("CHECKPOINT")

    def _raw(self, copy: Callable[[], str], sql: str, cutoff: str) -> tuple[float, int]:
        copy()
        with self.engine.connect() as conn:
            started = time.perf_counter()
            changed = conn.execute(sa.text(sql), {"cutoff": cutoff}).rowcount
            conn.commit()
            return time.perf_counter() - started, changed

    def floor_purge(self):
        return self._raw(self.fresh, "DELETE FROM hits WHERE logged_at < :cutoff", _cutoff(PURGE_DAYS))

    def floor_mask(self):
        return self._raw(self.fresh, f"UPDATE hits SET ip = {_PG_MASKED} WHERE logged_at < :cutoff", _cutoff(MASK_DAYS))

    def masked(self) -> str:
        """A fresh copy whose addresses past the cutoff the floor's statement has masked."""
        self.floor_mask()
        self._settle()
        return self.url

    def floor_mask_again(self):
        return self._raw(self.masked, f"UPDATE hits SET ip = {_PG_MASKED} WHERE logged_at < :cutoff "
                                      f"AND ip IS DISTINCT FROM {_PG_MASKED}", _cutoff(MASK_DAYS))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM hits").scalar_one()

    def close(self) -> None:
        self.engine.dispose()
        self.server.stop()


@dataclass(frozen=True)
class Work:
    """What is measured: the job and rule dsar runs, the copy of the table both sides start
    from (a bench's method), and the floor's statement on such a copy (another)."""

    job: str
    rule: str
    copy: methodcaller
    floor: methodcaller


WORKS = {
    PURGE: Work("retention", PURGE_RULE, methodcaller("fresh"), methodcaller("floor_purge")),
    MASK: Work("anonymize-ips", MASK_RULE, methodcaller("fresh"), methodcaller("floor_mask")),
    MASK_AGAIN: Work("anonymize-ips", MASK_RULE, methodcaller("masked"), methodcaller("floor_mask_again")),
}


def run(rows: int, batch: int = BATCH, processes: bool = True, repeat: int = 1) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="dsar-bench-") as tmp:
        folder = Path(tmp)
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")  # the server runs as postgres when we are root
        platform = Platform(folder) if processes else None
        for bench_class in (SqliteTextBench, SqliteBench, PostgresBench):
            bench = bench_class(rows, folder)
            try:
                for work in getattr(bench, "works", WORKS):
                    measured = WORKS[work]
                    # Floor and dsar take turns, ``repeat`` times each (purges at least
                    # ``PURGE_TURNS``); the least disturbed (fastest) run of each counts: other
                    # work on the machine only slows a run.
                    # The longest transaction is the longest of all runs: the bound promised.
                    floor_time = dsar_time = float("inf")
                    longest = 0.0
                    for _ in range(max(repeat, PURGE_TURNS) if work == PURGE else repeat):
                        seconds, floor_rows = measured.floor(bench)
                        floor_time = min(floor_time, seconds)
                        seconds, dsar_rows, held = _dsar(measured.copy(bench), measured.rule, batch)
                        dsar_time, longest = min(dsar_time, seconds), max(longest, held)
                    if dsar_rows != floor_rows:
                        raise RuntimeError(f"{bench.name} {work}: dsar changed {dsar_rows} rows, the floor {floor_rows}")
                    process = None
                    if platform is not None:
                        url = measured.copy(bench)
                        process, _ = platform.run(measured.job, url, measured.rule, batch)
                        if work == PURGE and (left := bench.count()) != rows - floor_rows:
                            raise RuntimeError(f"{bench.name} {work}: the dsar process left {left:,} rows")
                    results.append(Result(bench.name, work, rows, dsar_rows, dsar_time, floor_time, process, longest))
                    print(f"  {bench.name}, {work}: floor {floor_time:.2f} s, dsar {dsar_time:.2f} s"
                          + (f", process {process:.2f} s" if process else ""), flush=True)
            finally:
                bench.close()
    return results


def report(rows: int, batch: int = BATCH, processes: bool = True, repeat: int = 1) -> list[Result]:
    """Run and print the table (markdown, as in RESULTS.md)."""
    print(f"retention: purge and IP masking, {rows:,} rows per table, batches of at most {batch:,} rows (sized to about {BATCH_SECONDS:g} s each), "
          f"best of {repeat} for the floor and for dsar (purges: of {max(repeat, PURGE_TURNS)})", flush=True)
    results = run(rows, batch, processes, repeat)
    print()
    print("| engine | work | rows changed | floor: raw SQL (s) | dsar (s) | floor / dsar | `dsar jobs run` process (s) "
          "| floor / process | longest transaction (ms) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        process = f"{r.process:.2f} | {r.process_ratio:.2f}" if r.process else "– | –"
        print(f"| {r.engine} | {r.work} | {r.changed:,} of {r.rows:,} | {r.floor:.2f} | {r.dsar:.2f} | {r.ratio:.2f} "
              f"| {process} | {r.longest * 1000:.0f} |")
    return results
