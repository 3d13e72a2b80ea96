"""Intake under load: throughput and p99 of the public intake API under gunicorn with 50
concurrent clients (locust, headless), against a bare Flask route on the same server.

PostgreSQL (started here from the machine's binaries) holds dsar's data, as in production.
"""
from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
USERS = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {url}")


def _locust(user: str, host: str, seconds: int, work: Path) -> dict[str, float]:
    prefix = work / user
    subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"), user, "--headless",
                    "-u", str(USERS), "-r", str(USERS), "-t", f"{seconds}s", "--host", host,
                    "--csv", str(prefix), "--only-summary", "--loglevel", "ERROR"],
                   check=True, capture_output=True, cwd=ROOT, timeout=seconds + 120)
    with open(f"{prefix}_stats.csv") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {"rps": float(row["Requests/s"]), "p50": float(row["50%"]), "p99": float(row["99%"]),
            "failures": int(row["Failure Count"]), "requests": int(row["Request Count"])}


def run(seconds: int = 20) -> list[tuple[str, dict[str, float]]]:
    work = Path(tempfile.mkdtemp(prefix="dsar-bench-intake-"))
    server = PostgresServer(work / "pg").start() if _mkdir(work / "pg") else None
    port = _free_port()
    environ = {**os.environ, "DSAR_DATABASE_URL": server.url_for("bench"), "DSAR_SECRET_KEY": "bench-secret",
               "DSAR_ENCRYPTION_KEYS": "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMTI=", "DSAR_SCHEDULER": "off",
               "DSAR_ENV": "test", "DSAR_EXPORT_DIR": str(work / "exports")}
    gunicorn = None
    try:
        subprocess.run([str(BIN / "dsar"), "db", "upgrade"], env=environ, check=True, capture_output=True, cwd=ROOT)
        subprocess.run([str(BIN / "dsar"), "tenants", "create", "bench", "--name", "Bench Ltd", "--regime", "gdpr",
                        "--country", "GB"], env=environ, check=True, capture_output=True, cwd=ROOT)
        workers = str(2 * (os.cpu_count() or 1) + 1)
        gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "-w", workers, "-b", f"127.0.0.1:{port}", "--log-level",
                                     "warning", "benchmarks.intake_app:app"], env=environ, cwd=ROOT)
        host = f"http://127.0.0.1:{port}"
        _wait_until_up(f"{host}/login")
        return [(name, _locust(user, host, seconds, work)) for name, user in
                (("bare route (floor)", "BareUser"), ("intake API", "IntakeUser"))]
    finally:
        if gunicorn:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def _mkdir(path: Path) -> bool:
    path.mkdir(parents=True)
    if os.geteuid() == 0:  # PostgreSQL runs as `postgres` when we are root
        import pwd

        pg = pwd.getpwnam("postgres")
        os.chown(path.parent, pg.pw_uid, pg.pw_gid)
        os.chown(path, pg.pw_uid, pg.pw_gid)
    return True


def report(seconds: int = 20) -> None:
    results = run(seconds)
    floor = results[0][1]
    print(f"Intake under gunicorn, {USERS} concurrent clients, {seconds} s each, PostgreSQL")
    print(f"{'route':22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failures':>9} {'throughput vs floor':>20}")
    for name, r in results:
        print(f"{name:22} {r['rps']:8.0f} {r['p50']:8.0f} {r['p99']:8.0f} {r['failures']:9d} "
              f"{r['rps'] / floor['rps']:19.2f}x")


if __name__ == "__main__":
    report(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
