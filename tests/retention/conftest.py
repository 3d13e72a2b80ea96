"""Helpers for retention tests; ``source_url`` (tests/conftest.py) gives each test a fresh
customer database on SQLite and on PostgreSQL. The job fixtures ``acme`` and ``sample``
are shared with tests/jobs."""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from dsar.datamap.loader import parse_datamap
from dsar.datamap.model import DataMap
from dsar.jobs.registry import JobContext
from dsar.retention.enforcement import enforce
from dsar.retention.overrides import effective_rules
from tests.jobs.conftest import acme, sample  # noqa: F401  (fixtures)

HASH_KEY = b"k" * 32
ALL_ACTIONS = ("delete", "anonymize", "anonymize_ip")


def datamap_for(url: str, tables_yaml: str, *, tenant: str = "acme", scope: str = "") -> DataMap:
    """A one-source data map over ``url`` whose ``tables:`` block is ``tables_yaml``."""
    text = f"tenant: {tenant}\nsources:\n  - name: app\n    url: {json.dumps(url)}\n{scope}    tables:\n{tables_yaml}"
    return parse_datamap(text, name=f"{tenant}.yml")


def apply(datamap: DataMap, now: datetime, *, actions=ALL_ACTIONS, dry_run: bool = False, batch_size: int = 2,
          holds=(), overrides: dict | None = None) -> JobContext:
    ctx = JobContext(now=now, dry_run=dry_run)
    rules = effective_rules(datamap, overrides or {}, now, actions)
    enforce(ctx, datamap, rules, hash_key=HASH_KEY, holds=holds, batch_size=batch_size)
    return ctx


def rows(url: str, table: str, *columns: str) -> dict:
    """``{id: (columns...)}`` of a table, read fresh."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = ", ".join(("id", *columns))
            return {row[0]: tuple(row[1:]) for row in conn.exec_driver_sql(f"SELECT {names} FROM {table}")}
    finally:
        engine.dispose()


def create_table(url: str, table: sa.Table, values: list[dict]) -> None:
    engine = sa.create_engine(url)
    try:
        table.metadata.create_all(engine)
        with engine.begin() as conn:
            if values:
                conn.execute(table.insert(), values)
    finally:
        engine.dispose()
