"""Batches of ISO text test their dates by one text range per day (no pattern per row).

A batch walks one stretch of the cutoff column's index, so its values lie between its two
ends; where both ends start with a calendar date at most ``MAX_BATCH_DAYS`` apart, a value
goes only if it starts with one of those days (``day <= text < day + HIGHEST``). Text that
sorts between two days ("2025-02-2:") or among them ("2010 was a year") is in none of the
ranges. The property runs the engine itself, in batches small and large, over a column of
one ISO format, a column of mixed spellings, and either with text that is no date.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar.retention.statements import MAX_BATCH_DAYS, batch_days, day_parameters, days_kind, iso_day
from tests.retention.conftest import apply, create_table, datamap_for, rows

NOW = datetime(2025, 6, 1, 0, 30, tzinfo=timezone.utc)
CUTOFF = NOW - timedelta(days=90)  # 2025-03-03 00:30Z: the rule below
RULE = "      - {name: stamps, primary_key: id, retention: {after: 90 days, from: at, action: delete}}\n"
#: Text that is no date yet sorts among dates: between two days, inside a day's digits, before
#: all. (Text that starts with the pattern's YYYY-MM-DD, "2025-02-30 10:00" included, is a
#: date to batches the pattern tests; the day ranges take only calendar dates.)
JUNK = ["2025-02-2:", "2025-02-1~", "2025-02-3x", "2025-2-20 10:00:00", "2010 was a year", "2025-02-2",
        "", "yesterday", "01/02/2025", "0000"]


@pytest.mark.parametrize("text, day", [
    ("2025-02-28 10:00:00", "2025-02-28"), ("2025-02-28T10:00:00Z", "2025-02-28"), ("2024-02-29", "2024-02-29"),
    ("2025-02-29 10:00", None), ("2025-02-30", None), ("2025-2-28", None), ("2025-02-2:", None),
    ("20250228", None), ("", None), (None, None), ("2025-13-01", None),
])
def test_iso_day_is_a_calendar_date_spelled_yyyy_mm_dd(text, day):
    assert (iso_day(text).isoformat() if iso_day(text) else None) == day


def test_batch_days_span_the_ends_dates_or_nothing():
    assert batch_days("2025-02-27 23:00", "2025-03-01T01:00Z") == ("2025-02-27", "2025-02-28", "2025-03-01")
    assert batch_days("2025-02-27", "2025-02-27 12:00") == ("2025-02-27",)
    assert batch_days("2025-01-01", f"2025-01-{MAX_BATCH_DAYS:02d}") == tuple(
        f"2025-01-{d:02d}" for d in range(1, MAX_BATCH_DAYS + 1))
    assert batch_days("2025-01-01", f"2025-01-{MAX_BATCH_DAYS + 1:02d}") is None  # too wide: the pattern decides
    assert batch_days("", "2025-01-02") is None and batch_days("2025-01-02", "junk") is None
    assert batch_days("2025-01-02", "2025-01-01") is None


def test_old_batches_skip_the_test_near_the_cutoff_only_two_days_before_it():
    assert days_kind(("2025-02-28",), CUTOFF) == "old"  # the cutoff's day is 2025-03-03
    assert days_kind(("2025-02-28", "2025-03-01"), CUTOFF) == "near"
    assert days_kind(None, CUTOFF) is None
    parameters = day_parameters(("2025-02-28", "2025-03-01"))
    assert parameters["_day0"] == "2025-02-28" and parameters["_day1_end"] == "2025-03-01\U0010ffff"
    assert parameters[f"_day{MAX_BATCH_DAYS - 1}"] == "2025-03-01"  # the last day fills the slots left


@st.composite
def one_format(draw):
    moment = CUTOFF + timedelta(minutes=draw(st.integers(-12 * 1440, 4 * 1440)))
    return moment.strftime("%Y-%m-%d %H:%M:%S"), moment


@st.composite
def mixed_formats(draw):
    moment = CUTOFF + timedelta(minutes=draw(st.integers(-12 * 1440, 4 * 1440)))
    offset = draw(st.sampled_from([None, "Z", "+00:00", "+05:00", "-08:00", "+14:00"]))
    local = moment if offset in (None, "Z", "+00:00") else moment.astimezone(
        timezone(timedelta(hours=int(offset[:3]))))
    text = local.strftime("%Y-%m-%d") + draw(st.sampled_from(["T", " "])) + local.strftime("%H:%M:%S")
    if draw(st.booleans()):
        text += f".{draw(st.integers(0, 999999)):06d}"
    return text + (offset or ""), moment


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spelling=st.sampled_from(["one format", "mixed formats"]), data=st.data(),
       junk=st.lists(st.sampled_from(JUNK), max_size=6), batch_size=st.sampled_from([1, 3, 7, 1000]))
def test_a_batch_deletes_exactly_the_dated_rows_older_than_the_cutoff(source_url, spelling, data, junk, batch_size):
    values = data.draw(st.lists(one_format() if spelling == "one format" else mixed_formats(), min_size=1, max_size=40))
    table = sa.Table("stamps", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", sa.String(40), index=True))
    engine = sa.create_engine(source_url)
    table.metadata.drop_all(engine)
    engine.dispose()
    create_table(source_url, table, [{"id": i, "at": text} for i, (text, _) in enumerate(values)]
                 + [{"id": 1000 + i, "at": text} for i, text in enumerate(junk)])

    ctx = apply(datamap_for(source_url, RULE), NOW, batch_size=batch_size)

    assert ctx.errors == []
    kept = {i for i, (_, moment) in enumerate(values) if moment >= CUTOFF} | {1000 + i for i in range(len(junk))}
    assert set(rows(source_url, "stamps")) == kept
