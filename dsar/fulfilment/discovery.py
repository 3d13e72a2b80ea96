"""Find one data subject's rows in the organisation's own databases (SPEC §6).

A table's rows are the subject's when an identity column matches one of the subject's
identifiers (e-mail compared case-insensitively), or when a link column points at one of
the subject's rows in the parent table — over as many hops as the data map chains. The
whole chain is one SQL statement of nested ``IN (SELECT …)`` subqueries, so the database
does the work (SPEC §9) and no per-row query is ever sent. The source's ``scope`` filter
applies to every table that has the scope column.

Only the identifiers given here are used, and callers pass the *proven* ones only (SPEC
§4, ``dsar.services.identifiers``). A link between columns of different types compares
the other table's column cast to the type of the column being filtered (PostgreSQL will
not compare ``varchar = integer``); ``dsar datamap check`` names each such cast.
"""
from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from decimal import Decimal

import sqlalchemy as sa

from dsar.datamap.model import DataMap, Source, Table
from dsar.datamap.sources import NO_MATCH, DataMapMismatch, coerce, column, connect, reading, reflect, same_type
from dsar.errors import ConfigurationError

Identifiers = Mapping[str, object]  # {"email": ..., "phone": ..., "customer_id": ...}
BATCH_SIZE = 500


class SubjectRows:
    """Builds the WHERE clause that selects one subject's rows in each table of a source."""

    def __init__(self, source: Source, tables: Mapping[str, sa.Table], identifiers: Identifiers):
        self.source = source
        self.tables = tables
        self.identifiers = {k: v for k, v in identifiers.items() if v not in (None, "")}
        self._where: dict[str, sa.ColumnElement[bool]] = {}

    def where(self, name: str) -> sa.ColumnElement[bool]:
        """Condition on table ``name`` that is true exactly for the subject's rows."""
        if name not in self._where:
            self._where[name] = self._build(self.source.table(name), self.tables[name])
        return self._where[name]

    def keys(self, name: str) -> list[sa.Column]:
        """The columns of the table's key (several for a composite key)."""
        return [column(self.tables[name], key, self.source) for key in self.source.table(name).key]

    def select_keys(self, name: str, *extra: sa.Column) -> sa.Select:
        """``SELECT key…, *extra`` of the subject's rows in ``name``, in key order."""
        keys = self.keys(name)
        return sa.select(*keys, *extra).where(self.where(name)).order_by(*keys)

    def linked(self, table: sa.Table, link) -> sa.ColumnElement[bool]:
        """``table.column IN (the linked column of the subject's rows of the other table)``."""
        mine = column(table, link.column, self.source)
        if link.table not in self.tables:  # the loader refuses this; a hand-built model may not
            raise DataMapMismatch(f'table "{table.name}" of source "{self.source.name}" links to '
                                     f'"{link.table}", which requests do not reach',
                                     details={"source": self.source.name, "table": table.name})
        theirs = column(self.tables[link.table], link.target_column, self.source)
        if not same_type(mine, theirs):
            theirs = sa.cast(theirs, mine.type)
        # correlate(None): the other table's subquery stands alone, whatever encloses it.
        return mine.in_(sa.select(theirs).where(self.where(link.table)).correlate(None))

    def _build(self, spec: Table, table: sa.Table) -> sa.ColumnElement[bool]:
        matches = [self._identity(table, kind, name) for kind, name in spec.identity
                   if kind in self.identifiers]
        matches += [self.linked(table, link) for link in spec.links]
        condition = sa.or_(*matches) if matches else sa.false()
        scope = self.source.scope
        if scope is not None and scope.column in table.c:
            condition = sa.and_(_equals(table.c[scope.column], scope.value), condition)
        return condition

    def _identity(self, table: sa.Table, kind: str, name: str) -> sa.ColumnElement[bool]:
        col = column(table, name, self.source)
        value = self.identifiers[kind]
        if kind == "email":
            return sa.func.lower(col) == str(value).strip().lower()
        return _equals(col, value)


def _equals(col: sa.Column, value) -> sa.ColumnElement[bool]:
    value = coerce(col, value)
    return sa.false() if value is NO_MATCH else col == value


def participating(source: Source) -> list[str]:
    """Names of the tables that requests reach in ``source``."""
    return [table.name for table in source.tables if table.takes_part]


def subject_rows(connection: sa.Connection, source: Source, identifiers: Identifiers) -> SubjectRows:
    """Reflect the source's tables on ``connection`` and return the subject's row selector."""
    return SubjectRows(source, reflect(connection, source, participating(source)), identifiers)


def preview(datamap: DataMap, identifiers: Identifiers) -> dict[tuple[str, str], int]:
    """How many of the subject's rows each table holds: ``{(source, table): count}``.

    Covers every table that requests reach, zero counts included. Raises
    SourceUnavailable for a source that cannot be reached.
    """
    counts: dict[tuple[str, str], int] = {}
    for source in datamap.sources:
        with connect(source) as connection:
            rows = subject_rows(connection, source, identifiers)
            for name in participating(source):
                statement = sa.select(sa.func.count()).select_from(rows.tables[name]).where(rows.where(name))
                with reading(source, name, "counting the subject's rows in"):
                    counts[(source.name, name)] = connection.execute(statement).scalar_one()
                connection.rollback()  # a failed statement must not poison the next on PostgreSQL
    return counts


def iter_rows(source: Source, table: str, identifiers: Identifiers, *,
              batch_size: int = BATCH_SIZE) -> Iterator[list[dict]]:
    """The subject's rows of ``table`` as batches of JSON-safe dicts, in primary-key order.

    Rows are streamed from the database (server-side cursor where the driver has one), so
    a table holding a million of the subject's rows is never in memory at once.
    """
    if table not in participating(source):
        raise ConfigurationError(f'table "{table}" of source "{source.name}" is not reached by requests '
                                 "(it has no identity or link)", details={"source": source.name})
    with connect(source) as connection, reading(source, table):
        rows = subject_rows(connection, source, identifiers)
        statement = sa.select(rows.tables[table]).where(rows.where(table)).order_by(*rows.keys(table))
        streaming = connection.execution_options(stream_results=True, yield_per=batch_size)
        result = streaming.execute(statement).mappings()
        for batch in result.partitions(batch_size):
            yield [{name: json_safe(value) for name, value in row.items()} for row in batch]


def iter_file_keys(source: Source, table: str, identifiers: Identifiers, *,
                   batch_size: int = BATCH_SIZE) -> Iterator[list[tuple[str, str]]]:
    """(store, key) of the files the subject's rows of ``table`` name, in batches; empty
    values are skipped. Streamed like :func:`iter_rows`."""
    spec = source.table(table)
    if not spec.files or table not in participating(source):
        return
    with connect(source) as connection, reading(source, table, "reading file keys of"):
        rows = subject_rows(connection, source, identifiers)
        live = rows.tables[table]
        columns = [column(live, name, source) for name, _ in spec.files]
        statement = sa.select(*columns).where(rows.where(table)).order_by(*rows.keys(table))
        streaming = connection.execution_options(stream_results=True, yield_per=batch_size)
        for batch in streaming.execute(statement).partitions(batch_size):
            yield [(store, str(value)) for row in batch for (_, store), value in zip(spec.files, row)
                   if value not in (None, "")]


def json_safe(value):
    """``value`` as something ``json.dumps`` and a CSV writer accept, losing nothing.

    Datetimes become ISO 8601 text, bytes base64, Decimal exact text, UUIDs text.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(v) for v in value]
    return str(value)
