"""ISO-text cutoffs: the SQL that an index can serve judges every spelling as its instant.

A property over generated spellings of moments near the cutoff (``T`` or space, fractions,
``Z``, ``+00:00``, offsets up to 14 hours, none) checks SQL against Python's own reading, on
SQLite and PostgreSQL; and the query plan shows SQLite walking the column's index.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar.retention.statements import flavour_for
from tests.retention.conftest import create_table

CUTOFF = datetime(2025, 3, 1, 0, 30, tzinfo=timezone.utc)  # just after midnight: the day boundary matters


def _table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("stamps", metadata, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("at", sa.String(40), index=True))


@st.composite
def spelled_moments(draw):
    moment = CUTOFF + timedelta(seconds=draw(st.integers(-5 * 86400, 5 * 86400)))
    offset = draw(st.sampled_from([None, "Z", "+00:00", "+01:00", "-05:00", "+14:00", "-12:00"]))
    local = moment if offset in (None, "Z", "+00:00") else moment.astimezone(
        timezone(timedelta(hours=int(offset[:3]), minutes=int(offset[4:]) * (1 if offset[0] == "+" else -1))))
    text = local.strftime("%Y-%m-%d") + draw(st.sampled_from(["T", " "])) + local.strftime("%H:%M:%S")
    if draw(st.booleans()):
        text += f".{draw(st.integers(0, 999999)):06d}"
    return text + (offset or ""), moment


def _older(moment: datetime) -> bool:
    return moment < CUTOFF


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(spelled_moments(), min_size=1, max_size=30),
       junk=st.lists(st.sampled_from(["", "yesterday", "01/02/2025", "0000", "2025-02-3x"]), max_size=3))
def test_sql_reads_every_spelling_as_its_instant(source_url, values, junk):
    engine = sa.create_engine(source_url)
    metadata = sa.MetaData()
    table = _table(metadata)
    metadata.drop_all(engine)
    rows = [{"id": i, "at": text} for i, (text, _) in enumerate(values)]
    rows += [{"id": 1000 + i, "at": text} for i, text in enumerate(junk)]
    create_table(source_url, table, rows)
    with engine.connect() as conn:
        flavour = flavour_for(conn.dialect.name)
        flavour.prepare(conn)
        found = set(conn.execute(sa.select(table.c.id).where(flavour.expired(table.c.at, CUTOFF))).scalars())
    engine.dispose()
    assert found == {i for i, (_, moment) in enumerate(values) if _older(moment)}


@pytest.mark.parametrize("kind", [sa.String(40), sa.DateTime], ids=["text", "datetime"])
def test_sqlite_walks_the_index_of_the_cutoff_column(tmp_path, kind):
    url = f"sqlite:///{tmp_path}/plan.db"
    metadata = sa.MetaData()
    table = sa.Table("stamps", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", kind, index=True))
    stamps = [f"2025-0{1 + i % 5}-10 10:00:00" for i in range(200)]
    create_table(url, table, [{"id": i, "at": at if kind is not sa.DateTime else datetime.fromisoformat(at)}
                              for i, at in enumerate(stamps)])
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        condition = flavour_for("sqlite").expired(table.c.at, CUTOFF)
        query = sa.select(sa.func.count()).select_from(table).where(condition)
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
    engine.dispose()
    assert "INDEX ix_stamps_at (at<?)" in plan, plan  # one range of the index, not a scan of it
