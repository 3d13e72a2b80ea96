"""Batches that walk the cutoff column's index: ties on the timestamp, rows kept by a hold
between the rows that go, batch edges that fall inside a run of equal timestamps — every
expired row is handled exactly once, in one run, on text and on timestamp columns, on
both legs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar.domain.ip_masking import mask_ip
from dsar.retention import enforcement
from dsar.retention.overrides import RetentionHold
from tests.retention.conftest import apply, create_table, datamap_for, rows

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
EDGE = datetime(2025, 3, 3, 12, 0)  # NOW less 90 days, naive UTC
HELD = 3
#: The ``tables:`` entry: events go 90 days after ``at``.
PURGE_EVENTS = "      - {name: events, primary_key: id, retention: {after: 90 days, from: at, action: delete}}\n"


def _events(kind) -> sa.Table:
    return sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("account", sa.Integer, nullable=False), sa.Column("ip", sa.String(45)),
                    sa.Column("at", kind, nullable=False, index=True))


def _values(kind) -> list[dict]:
    """120 rows: ids in an order unlike their timestamps, five rows per timestamp, a held
    account's rows among them, the newest third inside the period (one second past the edge)."""
    stamps = [EDGE - timedelta(days=30 - day) for day in range(16)] + [EDGE + timedelta(seconds=1)] * 8
    values = []
    for i in range(120):
        at = stamps[(i * 7) % 24]
        values.append({"id": 1000 - i * 3, "account": HELD if i % 9 == 0 else 1, "ip": f"10.0.{i}.{i + 1}",
                       "at": at if kind is sa.DateTime else at.isoformat(sep=" ")})
    return values


def _changed(ctx) -> int:
    """Rows the run counted (its one rule)."""
    return sum(ctx.stats.values())


def _stamp(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _fresh_events(source_url: str, kind, values: list[dict]):
    """The events table made anew with ``values`` (hypothesis reuses the database), its
    purge rule, and the hold on the held account."""
    engine = sa.create_engine(source_url)
    _events(kind).metadata.drop_all(engine)
    engine.dispose()
    create_table(source_url, _events(kind), values)
    return datamap_for(source_url, PURGE_EVENTS), [RetentionHold("app", "events", "account", str(HELD), "litigation")]


def _apply_counting_deletes(datamap, **options):
    """One run at ``NOW``, and the rows each of its committed DELETE statements removed (one
    per batch; a span rolled back for holding too many rows is not a batch)."""
    deleted: list[int] = []
    pending: list[int] = []

    def count_deletes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE"):
            pending.append(cursor.rowcount)

    def committed(conn):
        deleted.extend(pending)
        pending.clear()

    listeners = (("after_cursor_execute", count_deletes), ("commit", committed), ("rollback", lambda conn: pending.clear()))
    for name, listener in listeners:
        sa.event.listen(sa.engine.Engine, name, listener)
    try:
        return apply(datamap, NOW, **options), deleted
    finally:
        for name, listener in listeners:
            sa.event.remove(sa.engine.Engine, name, listener)


@pytest.mark.parametrize("kind", [sa.DateTime, sa.String(30)], ids=["timestamp", "text"])
@pytest.mark.parametrize("batch_size", [1, 4, 5, 1000])
def test_deletes_walk_ties_and_kept_rows_and_finish_in_one_run(source_url, kind, batch_size):
    values = _values(kind)
    create_table(source_url, _events(kind), values)
    datamap = datamap_for(source_url, PURGE_EVENTS)
    hold = [RetentionHold("app", "events", "account", str(HELD), "litigation")]
    expected = {v["id"] for v in values if _stamp(v["at"]) >= EDGE or v["account"] == HELD}

    dry = apply(datamap, NOW, holds=hold, dry_run=True, batch_size=batch_size)
    ctx = apply(datamap, NOW, holds=hold, batch_size=batch_size)
    again = apply(datamap, NOW, holds=hold, batch_size=batch_size)

    assert ctx.errors == [] and dry.errors == []
    assert set(rows(source_url, "events")) == expected
    assert _changed(ctx) == len(values) - len(expected) == _changed(dry)
    assert _changed(again) == 0


@pytest.mark.parametrize("kind", [sa.DateTime, sa.String(30)], ids=["timestamp", "text"])
@pytest.mark.parametrize("batch_size", [1, 4, 1000])
def test_masking_walks_ties_and_masks_every_expired_row_once(source_url, kind, batch_size):
    values = _values(kind)
    create_table(source_url, _events(kind), values)
    datamap = datamap_for(source_url, "      - {name: events, primary_key: id, retention: {after: 90 days, "
                                      "from: at, action: anonymize_ip, column: ip, level: 1}}\n")
    hold = [RetentionHold("app", "events", "account", str(HELD), "litigation")]
    masked = {v["id"] for v in values if _stamp(v["at"]) < EDGE and v["account"] != HELD}

    ctx = apply(datamap, NOW, holds=hold, batch_size=batch_size)
    again = apply(datamap, NOW, holds=hold, batch_size=batch_size)

    assert ctx.errors == []
    assert rows(source_url, "events", "ip") == {
        v["id"]: (mask_ip(v["ip"], 1) if v["id"] in masked else v["ip"],) for v in values}
    assert _changed(ctx) == len(masked)
    assert _changed(again) == 0


@pytest.mark.parametrize("kind", [sa.DateTime, sa.String(30)], ids=["timestamp", "text"])
@pytest.mark.parametrize("batch_size", [1, 4, 6, 11])
def test_no_batch_deletes_more_rows_than_the_batch_size(source_url, kind, batch_size):
    """Each transaction stays bounded, ties on a batch's edge included (five rows share each
    timestamp: batch sizes below, between and above a run of ties)."""
    values = _values(kind)
    create_table(source_url, _events(kind), values)
    datamap = datamap_for(source_url, PURGE_EVENTS)
    ctx, deleted = _apply_counting_deletes(datamap, batch_size=batch_size)

    expired = sum(1 for v in values if _stamp(v["at"]) < EDGE)
    assert ctx.errors == [] and sum(deleted) == _changed(ctx) == expired
    assert max(deleted) <= batch_size


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from([sa.DateTime, sa.String(30)]), batch_size=st.integers(1, 9),
       table=st.lists(st.tuples(st.integers(-4, 3), st.booleans()), min_size=1, max_size=40))
def test_any_ties_and_holds_lose_exactly_the_expired_free_rows_in_bounded_batches(source_url, kind, batch_size, table):
    """Property: whatever runs of equal timestamps (few distinct moments, hours either side of
    the edge) and held rows, one run deletes exactly the expired rows no hold covers, no
    batch deletes more than the batch size, and a second run deletes nothing."""
    values = [{"id": 500 - 7 * n, "account": HELD if held else 1, "ip": None,
               "at": (EDGE + timedelta(hours=hours)) if kind is sa.DateTime
               else (EDGE + timedelta(hours=hours)).isoformat(sep=" ")}
              for n, (hours, held) in enumerate(table)]
    datamap, hold = _fresh_events(source_url, kind, values)
    ctx, deleted = _apply_counting_deletes(datamap, holds=hold, batch_size=batch_size)
    again = apply(datamap, NOW, holds=hold, batch_size=batch_size)

    kept = {v["id"] for v in values if _stamp(v["at"]) >= EDGE or v["account"] == HELD}
    assert ctx.errors == [] and set(rows(source_url, "events")) == kept
    assert _changed(ctx) == len(values) - len(kept) == sum(deleted)
    assert max(deleted, default=0) <= batch_size
    assert _changed(again) == 0


def _spelled(moment: datetime, spelling: int) -> str:
    """ISO text as real systems write it: space or ``T``, with or without ``Z`` or fractions."""
    return (moment.isoformat(sep=" "), moment.isoformat(), moment.isoformat() + "Z",
            moment.isoformat(sep=" ", timespec="microseconds"))[spelling]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from([sa.DateTime, sa.String(40)]), batch_size=st.integers(1, 12),
       table=st.lists(st.tuples(st.integers(-900, 3), st.integers(0, 6), st.integers(0, 3), st.booleans()),
                      min_size=1, max_size=60))
def test_spans_over_bursts_and_gaps_lose_exactly_the_expired_free_rows(source_url, kind, batch_size, table):
    """Property: rows spread over years with bursts (up to seven rows a moment) and long gaps,
    ISO text spelled four ways: once a first window has been walked the rest go in spans of
    values, and still one run deletes exactly the expired rows no hold covers, no committed
    batch deletes more than the batch size, and a second run deletes nothing."""
    values = []
    for n, (days, burst, spelling, held) in enumerate(table):
        moment = EDGE + timedelta(days=days, minutes=burst % 3)
        for copy in range(burst + 1):
            at = moment if kind is sa.DateTime else _spelled(moment, spelling)
            values.append({"id": 10_000 - 11 * len(values), "account": HELD if held else 1, "ip": None, "at": at})
    datamap, hold = _fresh_events(source_url, kind, values)
    dry = apply(datamap, NOW, holds=hold, dry_run=True, batch_size=batch_size)
    ctx, deleted = _apply_counting_deletes(datamap, holds=hold, batch_size=batch_size)
    again = apply(datamap, NOW, holds=hold, batch_size=batch_size)

    def expired(at) -> bool:
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(at.removesuffix("Z"))
        return moment < EDGE

    kept = {v["id"] for v in values if not expired(v["at"]) or v["account"] == HELD}
    assert ctx.errors == [] and set(rows(source_url, "events")) == kept
    assert _changed(ctx) == len(values) - len(kept) == sum(deleted) == _changed(dry)
    assert max(deleted, default=0) <= batch_size
    assert _changed(again) == 0


@pytest.mark.parametrize("kind", [sa.DateTime, sa.String(30)], ids=["timestamp", "text"])
def test_after_the_first_window_batches_are_spans_that_walk_no_index(source_url, kind):
    """3,000 expired rows a minute apart, at most 500 a batch: one window query (the first
    window, walked), then spans — ``col >= :from AND col < :to``, no walk to find where
    they end — each deleting at most 500 rows, every expired row gone."""
    values = [{"id": n, "account": 1, "ip": None,
               "at": (EDGE - timedelta(days=10, minutes=n)) if kind is sa.DateTime
               else (EDGE - timedelta(days=10, minutes=n)).isoformat(sep=" ")} for n in range(1, 3001)]
    create_table(source_url, _events(kind), values)
    datamap = datamap_for(source_url, PURGE_EVENTS)
    walks: list[str] = []

    def count_walks(conn, cursor, statement, parameters, context, executemany):
        if "OFFSET" in statement.upper():
            walks.append(statement)

    sa.event.listen(sa.engine.Engine, "after_cursor_execute", count_walks)
    try:
        ctx, deleted = _apply_counting_deletes(datamap, batch_size=500)
    finally:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", count_walks)

    assert ctx.errors == [] and rows(source_url, "events") == {}
    assert sum(deleted) == 3000 and max(deleted) <= 500 and len(deleted) >= 6
    assert 1 <= len(walks) <= 2  # the first window (PostgreSQL: its end and its start)


@pytest.mark.parametrize("work", ["purge", "mask"])
def test_spans_stopped_by_their_time_limit_are_rolled_back_and_walked(source_url, monkeypatch, work):
    """A span whose statement runs past its time limit (here none is allowed: PostgreSQL's
    shortest ``statement_timeout``, 1 ms; SQLite's progress handler at once) is stopped by the
    database, rolled back and walked instead: every expired row is still handled exactly once,
    and a second run finds nothing."""
    monkeypatch.setattr(enforcement, "SPAN_TIME_LIMIT", 0.0)
    values = [{"id": n, "account": 1, "ip": f"10.1.{n % 250}.{n % 199 + 1}",
               "at": EDGE - timedelta(days=5, seconds=9 * n)} for n in range(1, 40_001)]
    create_table(source_url, _events(sa.DateTime), values)
    rule = PURGE_EVENTS if work == "purge" else (
        "      - {name: events, primary_key: id, retention: {after: 90 days, from: at, action: anonymize_ip, "
        "column: ip, level: 1}}\n")
    datamap = datamap_for(source_url, rule)
    stopped: list[str] = []

    def count_stops(context):
        if "interrupted" in str(context.original_exception) or \
                getattr(context.original_exception, "sqlstate", None) == "57014":
            stopped.append(context.statement)

    sa.event.listen(sa.engine.Engine, "handle_error", count_stops)
    try:
        ctx = apply(datamap, NOW, batch_size=100_000)
    finally:
        sa.event.remove(sa.engine.Engine, "handle_error", count_stops)
    again = apply(datamap, NOW, batch_size=100_000)

    assert ctx.errors == [] and stopped, "spans must have been stopped"
    assert _changed(ctx) == 40_000 and _changed(again) == 0
    if work == "purge":
        assert rows(source_url, "events") == {}
    else:
        assert rows(source_url, "events", "ip") == {v["id"]: (mask_ip(v["ip"], 1),) for v in values}
