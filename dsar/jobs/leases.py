"""Leases in the ``job_leases`` table: who runs what, so work happens once.

Two uses, both plain SQL that works on SQLite and PostgreSQL alike (the primary key does
the arbitration, no engine-specific lock):

* ``claim_once(name)`` — an INSERT that only one process can win: a scheduled slot
  (``slot:retention:2025-06-01T02:00:00+00:00``) is claimed by the first worker that gets
  there, and every other worker skips it, however late its own timer fires.
* ``acquire(name)`` / ``renew`` / ``release`` — a lease with an expiry for the duration of
  a run, so one job never runs twice at once for the same tenant. A lease whose holder
  is gone is taken over: expired, or held by a process of this host that no longer exists
  (a worker killed with SIGKILL leaves its lease behind; the next run must not wait for it).
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import exc

from dsar.extensions import db
from dsar.models import JobLease, utcnow

_leases = JobLease.__table__
_NONCE = uuid.uuid4().hex[:8]


def holder() -> str:
    """This process, as ``host:pid:nonce``."""
    return f"{socket.gethostname()}:{os.getpid()}:{_NONCE}"


def claim_once(name: str, expires_at: datetime) -> bool:
    """Insert lease ``name``; True for exactly one caller, however many race for it."""
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.insert(_leases).values(name=name, holder=holder(), expires_at=expires_at))
        return True
    except exc.IntegrityError:
        return False


def forget_expired(prefix: str, now: datetime | None = None) -> None:
    """Delete claims under ``prefix`` whose expiry has passed (keeps the table small)."""
    with db.engine.begin() as conn:
        conn.execute(sa.delete(_leases).where(_leases.c.name.startswith(prefix, autoescape=True),
                                              _leases.c.expires_at < (now or utcnow())))


def acquire(name: str, ttl: timedelta) -> str | None:
    """Take lease ``name`` for ``ttl``; None when taken, else the live holder's name."""
    me, now = holder(), utcnow()
    for _ in range(3):
        if claim_once(name, now + ttl):
            return None
        with db.engine.begin() as conn:
            row = conn.execute(sa.select(_leases.c.holder, _leases.c.expires_at)
                               .where(_leases.c.name == name)).one_or_none()
            if row is None:
                continue  # released meanwhile: try the insert again
            current, expires_at = row
            if expires_at > now and not _gone(current):
                return current
            taken = conn.execute(sa.update(_leases).where(_leases.c.name == name, _leases.c.holder == current)
                                 .values(holder=me, expires_at=now + ttl)).rowcount
            if taken:
                return None
    return "another process"


def renew(name: str, ttl: timedelta) -> bool:
    with db.engine.begin() as conn:
        return bool(conn.execute(sa.update(_leases).where(_leases.c.name == name, _leases.c.holder == holder())
                                 .values(expires_at=utcnow() + ttl)).rowcount)


def release(name: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.delete(_leases).where(_leases.c.name == name, _leases.c.holder == holder()))


def _gone(name: str) -> bool:
    """Whether ``name`` is a process of this host that has ended."""
    host, _, rest = name.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return rest != f"{pid}:{_NONCE}"  # an earlier life of this pid (e.g. after a fork)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
