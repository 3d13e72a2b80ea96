"""A real PostgreSQL server started by the test session from the machine's binaries.

It fails loudly when the binaries are missing: the PostgreSQL leg never passes by being
skipped. As root (CI here), the server runs as the ``postgres`` system user, since
PostgreSQL refuses to run as root.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

import psycopg


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed: the PostgreSQL test leg cannot run "
                           "(install Debian's postgresql package)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    user = "dsar"

    def __init__(self, base: Path):
        self.base = base
        self.data = base / "data"
        self.sockets = base / "sock"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> "PostgresServer":
        self.sockets.mkdir(parents=True)
        if self._as_postgres:
            pg = pwd.getpwnam("postgres")
            for path in (self.base, self.sockets):
                os.chown(path, pg.pw_uid, pg.pw_gid)
        self._run(_binary("initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        self.start_again()
        return self

    def stop(self, mode: str = "immediate") -> None:
        """``immediate`` at the end of a session; ``fast`` for a clean shutdown that keeps
        recent commits (this server runs with synchronous_commit off)."""
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def stop_quietly(self) -> None:
        """Stop if running (cleanup after a test that stopped it already)."""
        try:
            self.stop()
        except RuntimeError:
            pass

    def start_again(self) -> None:
        """Start the already-initialised cluster after ``stop`` (same port, same data)."""
        options = (f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def url_for(self, dbname: str) -> str:
        """An SQLAlchemy URL to database ``dbname``, created (empty) if it does not exist."""
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{dbname}"')
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def drop(self, dbname: str) -> None:
        with psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
