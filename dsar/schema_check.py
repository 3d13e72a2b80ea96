"""Is the database at the schema this code expects? (SPEC §9: "run `dsar db upgrade`".)

The database's ``alembic_version`` is compared with the head revision of
``migrations/versions`` once per process (per app), not per request: a web request and a
CLI command (``dsar db …`` exempt) on a database left behind answer with one line saying
what to do, instead of failing later with "temporarily unavailable" or a traceback.

The head is read from the revision files themselves (``revision = …``/``down_revision =
…``), without importing Alembic, so the check costs a directory listing and one query.
A database without ``alembic_version`` whose tables exist was made by ``db.create_all()``
(the tests, a developer's shell) and is taken as current; one without tables is not.
"""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from dsar.errors import DsarError
from dsar.extensions import db

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
OLDER = "the database schema is older than this version of dsar: run `dsar db upgrade`"
NEWER = ("the database schema (revision {revision}) is newer than this version of dsar: "
         "run the dsar version that upgraded it")
#: An outdated answer is asked again after this long, so `dsar db upgrade` needs no restart.
RECHECK_SECONDS = 30.0
_EXTENSION = "dsar.schema_check"
#: ``revision = "0002"`` / ``down_revision = None`` at the start of a line of a revision file.
_ASSIGNMENT = re.compile(r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:["']([^"']+)["']|None)""", re.MULTILINE)
#: One check at a time per process: concurrent first requests wait for it instead of each asking.
_LOCK = threading.Lock()


class SchemaOutdated(DsarError):
    code = "schema_outdated"
    status = 503


def revisions(directory: Path = VERSIONS) -> dict[str, str | None]:
    """``{revision: down_revision}`` of every revision file."""
    found: dict[str, str | None] = {}
    for path in sorted(directory.glob("*.py")):
        values = {name: value or None for name, value in _ASSIGNMENT.findall(path.read_text())}
        if "revision" in values:
            found[values["revision"]] = values.get("down_revision")
    return found


def head_revision(directory: Path = VERSIONS) -> str:
    """The one revision no other revision follows."""
    known = revisions(directory)
    heads = set(known) - {down for down in known.values() if down}
    if len(heads) != 1:
        raise RuntimeError(f"migrations/versions must have one head, not {sorted(heads)}")
    return heads.pop()


def problem(engine: sa.Engine, head: str | None = None) -> str | None:
    """What is wrong with the schema of ``engine``'s database (one line), or None."""
    head = head or head_revision()
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        if not inspector.has_table("alembic_version"):
            return None if inspector.has_table("tenants") else OLDER
        current = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    if current == [head]:
        return None
    if current and all(revision not in revisions() for revision in current):
        return NEWER.format(revision=", ".join(current))
    return OLDER


def require_current_schema(app: Flask) -> None:
    """SchemaOutdated (one line) unless ``app``'s database is at the head revision.

    Asked once per process: a current schema is remembered for good, an outdated one for
    ``RECHECK_SECONDS``.
    """
    state = _state(app)
    if state["ok"]:
        return
    with _LOCK:
        if not state["ok"] and (state["problem"] is None or time.monotonic() - state["asked"] > RECHECK_SECONDS):
            found = problem(db.engine)
            state.update(ok=found is None, problem=found, asked=time.monotonic())
    if state["problem"] is not None and not state["ok"]:
        raise SchemaOutdated(state["problem"])


def _state(app: Flask) -> dict:
    return app.extensions.setdefault(_EXTENSION, {"ok": False, "problem": None, "asked": 0.0, "logged": None})


def init_app(app: Flask) -> None:
    """Every web request first checks (once per process) that the schema is current."""

    @app.before_request
    def _schema_is_current() -> None:
        try:
            require_current_schema(app)
        except SchemaOutdated as error:
            if _state(app)["logged"] != error.message:  # logged once, not per request
                _state(app)["logged"] = error.message
                app.logger.error("%s", error.message)
            raise
