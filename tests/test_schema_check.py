"""A database behind the code says "run `dsar db upgrade`" in one line (SPEC §9), on the web
and on the command line, on both legs; the check reads the head from the revision files."""
import logging
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from dsar import create_app, schema_check
from dsar.extensions import db
from tests.clock import dsar_command
from tests.conftest import environ_for

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
ROOT = MIGRATIONS.parent
MESSAGE = "the database schema is older than this version of dsar: run `dsar db upgrade`"


@pytest.fixture
def database_at(backend, tmp_path, request):
    """``database_at(revision)``: a new database of this leg's engine, upgraded to ``revision``
    (None: left empty); returns its URL and the environment that reaches it."""
    made = []

    def make(revision: str | None):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/schema-{len(made)}.db"
        else:
            name = f"schema_{uuid.uuid4().hex[:8]}"
            url = request.getfixturevalue("pg_server").url_for(name)
        made.append(url)
        environ = environ_for(url, tmp_path)
        if revision is not None:
            app = create_app(environ=environ, instance_path=str(tmp_path))
            with app.app_context():
                upgrade(revision=revision)
                db.engine.dispose()
        return url, environ

    yield make
    if backend != "sqlite":
        for url in made:
            request.getfixturevalue("pg_server").drop(url.rsplit("/", 1)[1])


def test_the_head_is_read_from_the_revision_files_as_alembic_reads_it():
    assert schema_check.head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_a_web_request_on_a_database_at_0001_is_a_503_saying_what_to_run(database_at, tmp_path):
    _, environ = database_at("0001")
    app = create_app(environ=environ, instance_path=str(tmp_path))
    client = app.test_client()
    # Alembic's logging set-up (migrations/env.py, run above in this process) replaced the root's
    # handlers and disabled the loggers that existed: listen on the app's logger itself.
    kept = _Kept()
    app.logger.disabled = False
    app.logger.addHandler(kept)
    api = client.get("/api/v1/requests")
    page = client.get("/login")
    app.logger.removeHandler(kept)
    assert api.status_code == 503
    assert api.json["error"]["code"] == "schema_outdated" and api.json["error"]["message"] == MESSAGE
    assert page.status_code == 503 and MESSAGE in page.get_data(as_text=True)
    assert kept.messages == [MESSAGE]  # logged once, not once per request
    with app.app_context():
        db.engine.dispose()


def test_after_the_upgrade_the_same_process_serves_again(database_at, tmp_path, monkeypatch):
    _, environ = database_at("0001")
    app = create_app(environ=environ, instance_path=str(tmp_path))
    client = app.test_client()
    assert client.get("/login").status_code == 503
    with app.app_context():
        upgrade()
    monkeypatch.setattr(schema_check, "RECHECK_SECONDS", 0.0)
    assert client.get("/login").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_a_command_on_a_database_at_0001_is_one_line_and_a_non_zero_exit(database_at, tmp_path):
    _, environ = database_at("0001")
    env = {**environ, "PATH": os.environ["PATH"]}
    for command in (("tenants", "list"), ("jobs", "list")):
        result = subprocess.run(dsar_command(*command), env=env, cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode != 0, command
        assert result.stderr.strip().splitlines() == [f"dsar: error: {MESSAGE}"], command
    upgraded = subprocess.run(dsar_command("db", "upgrade"), env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr  # `dsar db …` is never refused
    listed = subprocess.run(dsar_command("tenants", "list"), env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr


def test_an_empty_database_and_one_from_a_newer_dsar_are_named(database_at):
    empty_url, _ = database_at(None)
    engine = create_engine(empty_url)
    assert schema_check.problem(engine) == MESSAGE
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('9999')"))
    assert "newer than this version of dsar" in schema_check.problem(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :head"),
                           {"head": schema_check.head_revision()})
    assert schema_check.problem(engine) is None
    engine.dispose()
