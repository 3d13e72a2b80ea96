"""`dsar db upgrade` from empty works on both databases, and the migrations match the models."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect

from dsar import create_app
from dsar.extensions import db
from tests.conftest import environ_for


@pytest.fixture
def empty_database_url(backend, tmp_path, request):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.db"
        return
    server = request.getfixturevalue("pg_server")
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    yield server.url_for(name)
    server.drop(name)


def test_upgrade_from_empty_matches_the_models(empty_database_url, tmp_path):
    app = create_app(environ=environ_for(empty_database_url, tmp_path), instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == [], f"models and migrations disagree; run `make migration`: {diff}"
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_cli_db_upgrade_is_idempotent(empty_database_url, tmp_path):
    app = create_app(environ=environ_for(empty_database_url, tmp_path), instance_path=str(tmp_path))
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        assert "requests" in inspect(conn).get_table_names()
    engine.dispose()
