"""Connections to the customer databases a data map names (its *sources*).

One engine per source URL, created lazily and cached, so every request and job reuses the
pool. Failures to connect become :class:`SourceUnavailable` naming the source — never the
URL, which usually carries a password.
"""
from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy import event, exc

from dsar.datamap.model import Source
from dsar.errors import ConfigurationError, SourceUnavailable

class DataMapMismatch(ConfigurationError):
    """The data map and a customer database disagree (a table or column gone, a type the
    database refuses to compare, a key that is not unique): fulfilment stops before writing
    and records why; the request waits until the map or the database is fixed."""

    code = "datamap_mismatch"
    status = 409


_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()


def engine_for(source: Source) -> sa.Engine:
    """The shared engine for ``source``'s URL (created on first use; connects lazily)."""
    with _lock:
        engine = _engines.get(source.url)
        if engine is None:
            engine = sa.create_engine(source.url, pool_pre_ping=True)
            if engine.dialect.name == "sqlite":
                # Honour declared foreign keys as every other database does, so erasure
                # behaves the same in a SQLite test and on PostgreSQL.
                event.listen(engine, "connect", _sqlite_foreign_keys)
            _engines[source.url] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and a worker before it forks)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def connect(source: Source, *, transaction: bool = False) -> Iterator[sa.Connection]:
    """A connection to ``source`` (in one transaction if asked, committed on success).

    Raises SourceUnavailable when the database cannot be reached or drops the connection.
    """
    engine = engine_for(source)
    try:
        connection = engine.connect()
    except exc.DBAPIError as error:
        raise unavailable(source, error) from None
    try:
        with connection:
            if transaction:
                with connection.begin():
                    yield connection
            else:
                yield connection
    except exc.DBAPIError as error:
        if error.connection_invalidated:
            raise unavailable(source, error) from None
        raise


def unavailable(source: Source, error: exc.DBAPIError) -> SourceUnavailable:
    """SourceUnavailable for ``source`` whose text cannot leak the URL's password."""
    return SourceUnavailable(f'source "{source.name}" could not be reached: {driver_reason(source, error)}',
                             details={"source": source.name})


def driver_reason(source: Source, error: exc.DBAPIError) -> str:
    """The first line of the driver's message, with the source's password masked."""
    lines = str(error.orig).strip().splitlines() if error.orig is not None else []
    reason = lines[0] if lines else type(error).__name__
    password = sa.engine.make_url(source.url).password
    return reason.replace(str(password), "***") if password else reason


@contextmanager
def quiet_reflection() -> Iterator[None]:
    """Silence SQLAlchemy's notice that it skipped an expression index while reflecting.

    Expression indexes (``lower(email)``) are legitimate; SQLAlchemy merely cannot reflect
    them on some dialects and says so on every reflection.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", exc.SAWarning)
        yield


def reflect(connection: sa.Connection, source: Source, names: Iterable[str], *,
            whole: bool = True) -> dict[str, sa.Table]:
    """The live tables ``names`` (``table`` or ``schema.table``) of ``source``, keyed by
    those names; ConfigurationError names a missing one.

    ``whole=False``: their columns and primary key only, which is all retention reads.
    A whole table also brings its constraints and indexes (erasure checks keys with them),
    read from the catalog one query each, and the tables its foreign keys name."""
    metadata = sa.MetaData()
    tables = {}
    with quiet_reflection():
        for name in names:
            schema, _, table = name.rpartition(".")
            try:
                tables[name] = (sa.Table(table, metadata, schema=schema or None, autoload_with=connection) if whole
                                else _columns_and_key(connection, metadata, table, schema or None))
            except exc.NoSuchTableError:
                raise DataMapMismatch(
                    f'table "{name}" of source "{source.name}" does not exist '
                    "(dsar datamap check lists every mismatch)",
                    details={"source": source.name, "table": name}) from None
    return tables


def _columns_and_key(connection: sa.Connection, metadata: sa.MetaData, name: str, schema: str | None) -> sa.Table:
    inspector = sa.inspect(connection)
    columns = [sa.Column(c["name"], c["type"], nullable=c["nullable"], autoincrement=False)
               for c in inspector.get_columns(name, schema=schema)]
    key = inspector.get_pk_constraint(name, schema=schema)["constrained_columns"]
    return sa.Table(name, metadata, *columns, *([sa.PrimaryKeyConstraint(*key)] if key else []), schema=schema)


@contextmanager
def reading(source: Source, table: str, doing: str = "reading") -> Iterator[None]:
    """Turn a statement the database refuses (a column gone, a type clash, a constraint)
    into a ConfigurationError naming the source and the table in words."""
    try:
        yield
    except exc.DBAPIError as error:
        if error.connection_invalidated:
            raise unavailable(source, error) from None
        raise DataMapMismatch(
            f'{doing} table "{table}" of source "{source.name}" failed: {driver_reason(source, error)} '
            "(dsar datamap check lists every mismatch)",
            details={"source": source.name, "table": table}) from None


def same_type(a: sa.Column, b: sa.Column) -> bool:
    """Whether two columns can be compared without a cast (same kind of value)."""
    try:
        return a.type.python_type is b.type.python_type
    except NotImplementedError:
        return a.type._type_affinity is b.type._type_affinity


def column(table: sa.Table, name: str, source: Source) -> sa.Column:
    """Column ``name`` of a reflected table; ConfigurationError if the data map is stale."""
    try:
        return table.c[name]
    except KeyError:
        raise DataMapMismatch(
            f'column "{table.name}.{name}" of source "{source.name}" does not exist '
            "(dsar datamap check lists every mismatch)",
            details={"source": source.name, "table": table.fullname}) from None


NO_MATCH = object()


def coerce(col: sa.Column, value):
    """``value`` (from YAML or a form: often text) converted to the column's Python type.

    Returns NO_MATCH when it cannot be converted: such a value can match no row. Needed
    because PostgreSQL refuses to compare an integer column with a text parameter.
    """
    try:
        python_type = col.type.python_type
    except NotImplementedError:
        return value
    if isinstance(value, python_type) or python_type not in (int, str, float, Decimal):
        return value
    try:
        return python_type(value)
    except (TypeError, ValueError, InvalidOperation):
        return NO_MATCH
