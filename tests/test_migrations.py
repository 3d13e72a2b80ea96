"""`dsar db upgrade` from empty and from the first landed schema (with data) works on both
databases, and the migrations match the models (SPEC §9: upgrades keep data)."""
import logging
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import MetaData, create_engine, inspect, text
from sqlalchemy import types as sa_types

from dsar import create_app
from dsar.extensions import db
from tests.conftest import environ_for


MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


@pytest.fixture
def new_database(backend, tmp_path, request):
    """Makes empty databases of this leg's engine (dropped afterwards): ``new_database(name)``."""
    made = []

    def make(label: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path}/{label}.db"
        name = f"migrations_{label}_{uuid.uuid4().hex[:8]}"
        made.append(name)
        return request.getfixturevalue("pg_server").url_for(name)

    yield make
    for name in made:
        request.getfixturevalue("pg_server").drop(name)


@pytest.fixture
def empty_database_url(new_database):
    return new_database("empty")


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


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_logger_made_before_the_migrations_still_logs_after_db_upgrade(empty_database_url, tmp_path):
    """Alembic's logging set-up (``fileConfig``) must not switch off the app's loggers that
    already exist when `dsar db upgrade` runs in the same process."""
    logger = logging.getLogger("dsar.jobs.runner")  # a module-level logger of the app, made at import
    kept = _Kept()
    app = create_app(environ=environ_for(empty_database_url, tmp_path), instance_path=str(tmp_path))
    logger.addHandler(kept)
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        logger.warning("still heard after the upgrade")
    finally:
        logger.removeHandler(kept)
        with app.app_context():
            db.engine.dispose()
    assert kept.messages == ["still heard after the upgrade"]


def _fill_every_table(url: str) -> dict[str, int]:
    """One row in every table of the schema as it stands (required columns filled by type,
    every foreign key pointing at row 1 of its parent): data an upgrade must keep."""
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    samples = {sa_types.Integer: 1, sa_types.String: "kept", sa_types.Text: "kept", sa_types.Boolean: False,
               sa_types.DateTime: datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc), sa_types.Date: date(2026, 1, 5),
               sa_types.JSON: {}, sa_types.LargeBinary: b"kept", sa_types.Float: 1.0, sa_types.Numeric: 1}
    counts = {}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            row = {}
            for col in table.columns:
                kind = next((value for base, value in samples.items() if isinstance(col.type, base)), None)
                if kind is None and not col.nullable:
                    raise AssertionError(f"no sample value for {table.name}.{col.name} ({col.type})")
                row[col.name] = kind
            conn.execute(table.insert().values(row))
            counts[table.name] = 1
    engine.dispose()
    return counts


def _schema(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        inspector = inspect(conn)
        shape = {name: ({c["name"]: str(c["type"]) for c in inspector.get_columns(name)},
                        sorted(tuple(i["column_names"]) for i in inspector.get_indexes(name)))
                 for name in inspector.get_table_names()}
    engine.dispose()
    return shape


def test_a_database_made_by_0001_upgrades_to_head_keeping_its_data(new_database, tmp_path):
    """The first landed schema, with data in every table, goes to head; the result has the
    shape of a fresh database at head and every row is still there."""
    old_url, fresh_url = new_database("from_0001"), new_database("fresh")
    app = create_app(environ=environ_for(old_url, tmp_path), instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="0001")
        db.engine.dispose()
    kept = _fill_every_table(old_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()

    engine = create_engine(old_url)
    with engine.connect() as conn:
        for table in kept:
            assert conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one() == 1, table
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == _head()
    engine.dispose()

    fresh = create_app(environ=environ_for(fresh_url, tmp_path / "fresh"), instance_path=str(tmp_path / "fresh"))
    with fresh.app_context():
        upgrade()
        db.engine.dispose()
    assert _schema(old_url) == _schema(fresh_url)


def _head() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
