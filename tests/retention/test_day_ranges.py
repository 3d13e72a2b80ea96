"""Batches of ISO text test their dates by one text range per day (no pattern per row).

A batch walks one stretch of the cutoff column's index, so its values lie between its two
ends; where both ends start with a calendar date at most ``MAX_BATCH_DAYS`` apart, a value
goes only if it starts with one of those days: one text range per run of days
(``day_runs``, "2025-02-21" <= text < "2025-02-28" for 21 to 27 February). Text that sorts
between two runs ("2025-02-1:") or among them ("2010 was a year") is in none of the
ranges. A batch whose own ends lie in one run (spans end where a run does) needs no such
test at all (``held_to_days``). The property runs the engine itself, in batches small and large, over a column of
one ISO format, a column of mixed spellings, and either with text that is no date.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar.retention.statements import (MAX_BATCH_DAYS, batch_days, day_parameters, day_runs, days_kind,
                                       held_to_days, iso_day, next_run_start)
from tests.retention.conftest import apply, create_table, datamap_for, rows

NOW = datetime(2025, 6, 1, 0, 30, tzinfo=timezone.utc)
CUTOFF = NOW - timedelta(days=90)  # 2025-03-03 00:30Z: the rule below
RULE = "      - {name: stamps, primary_key: id, retention: {after: 90 days, from: at, action: delete}}\n"
#: Text that is no date yet sorts among dates: between two days, inside a day's digits, before
#: all. (Text that starts with the pattern's YYYY-MM-DD, "2025-02-30 10:00" included, is a
#: date to batches the pattern tests; the day ranges take only calendar dates.)
JUNK = ["2025-02-2:", "2025-02-1~", "2025-02-3x", "2025-2-20 10:00:00", "2010 was a year", "2025-02-2",
        "", "yesterday", "01/02/2025", "0000", "2025-02-1:", "2025-02-0:", "2025-02-1 99", "2025-02-3",
        "2025-02-2\U0010ffffx"]


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
    assert (parameters["_day0"], parameters["_day0_end"]) == ("2025-02-28", "2025-02-29")
    assert (parameters["_day1"], parameters["_day1_end"]) == ("2025-03-01", "2025-03-02")
    assert parameters[f"_day{MAX_BATCH_DAYS - 1}"] == "2025-03-01"  # the last range fills the slots left


def _days(first: str, count: int) -> tuple[str, ...]:
    start = date.fromisoformat(first)
    return tuple((start + timedelta(days=n)).isoformat() for n in range(count))


@pytest.mark.parametrize("days, runs", [
    (_days("2025-02-21", 7), [("2025-02-21", "2025-02-28")]),
    (_days("2025-01-08", 4), [("2025-01-08", "2025-01-0:"), ("2025-01-10", "2025-01-12")]),
    (_days("2025-02-27", 4), [("2025-02-27", "2025-02-29"), ("2025-03-01", "2025-03-03")]),
    (_days("2024-02-28", 3), [("2024-02-28", "2024-02-2:"), ("2024-03-01", "2024-03-02")]),
    (_days("2025-01-29", 4), [("2025-01-29", "2025-01-2:"), ("2025-01-30", "2025-01-32"), ("2025-02-01", "2025-02-02")]),
    (_days("2025-12-31", 2), [("2025-12-31", "2025-12-32"), ("2026-01-01", "2026-01-02")]),
])
def test_day_runs_join_days_whose_ranges_meet(days, runs):
    assert day_runs(days) == runs


@pytest.mark.parametrize("day, start", [
    ("2025-01-01", "2025-01-10"), ("2025-01-09", "2025-01-10"), ("2025-01-10", "2025-01-20"),
    ("2025-01-29", "2025-01-30"), ("2025-01-30", "2025-02-01"), ("2025-01-31", "2025-02-01"),
    ("2025-02-20", "2025-03-01"), ("2024-02-29", "2024-03-01"), ("2025-04-30", "2025-05-01"),
    ("2025-12-31", "2026-01-01"),
])
def test_next_run_starts_on_the_next_tenth_twentieth_thirtieth_or_first(day, start):
    assert next_run_start(date.fromisoformat(day)).isoformat() == start


def test_every_day_to_its_next_run_is_one_run_and_fits_a_batch():
    day = date(2023, 12, 25)
    while day < date(2029, 1, 10):
        following = next_run_start(day)
        days = _days(day.isoformat(), (following - day).days)
        assert len(day_runs(days)) == 1 and len(day_runs(days + (following.isoformat(),))) == 2
        assert len(days) + 1 <= MAX_BATCH_DAYS  # a span's days, its end's included
        assert len(day_runs(_days(day.isoformat(), MAX_BATCH_DAYS))) <= 3
        day += timedelta(days=1)


#: Characters that sort near a date's: digits, the separators, and any other.
NEAR_CHARACTERS = st.one_of(st.sampled_from("0123456789:;-/ TZ"), st.characters())


def _near(draw, day: date) -> str:
    """Text around ``day``: its date whole or cut short, and whatever may follow."""
    return day.isoformat()[:draw(st.integers(7, 10))] + draw(st.text(NEAR_CHARACTERS, max_size=4))


@settings(max_examples=300, deadline=None)
@given(first=st.integers(0, 60), count=st.integers(1, MAX_BATCH_DAYS), data=st.data())
def test_text_is_in_a_run_exactly_when_it_starts_with_one_of_its_days(first, count, data):
    days = _days((date(2025, 1, 1) + timedelta(days=first)).isoformat(), count)
    near = date.fromisoformat(days[0]) + timedelta(days=data.draw(st.integers(-2, count + 1)))
    text = _near(data.draw, near) if data.draw(st.booleans()) else data.draw(st.text(max_size=12))
    # Python orders text by code point, as SQLite's BINARY collation orders UTF-8.
    assert any(start <= text < end for start, end in day_runs(days)) == (text[:10] in days)


def test_ends_inside_one_run_hold_the_text_between_to_its_days():
    days = _days("2025-02-21", 7)
    assert held_to_days(days, "2025-02-21 00:00:00", "2025-02-27 23:59:59", high_included=True)
    assert held_to_days(days, "2025-02-21T08:00:00Z", "2025-02-28")  # a last window below its bound
    assert not held_to_days(days, "2025-02-21 00:00:00", "2025-03-01")  # "2025-02-3" sorts between
    assert not held_to_days(days, "2025-02-21 00:00:00", "2025-02-28", high_included=True)
    assert not held_to_days(days, "2025-02-2", "2025-02-27 10:00")  # text below the 21st
    assert not held_to_days(_days("2025-02-27", 3), "2025-02-27", "2025-03-01 10:00", high_included=True)


#: What may follow (part of) a date in the probes below.
TAILS = ("", " ", "0", "9", ":", "~", " 10:00", "T23:59:59Z", "\U0010ffff")


def _probes(first: date, last: date) -> list[str]:
    """Text near every date from the day before ``first`` to the day after ``last``."""
    return [(first + timedelta(days=n)).isoformat()[:cut] + tail for n in range(-1, (last - first).days + 2)
            for cut in range(7, 11) for tail in TAILS]


@settings(max_examples=300, deadline=None)
@given(first=st.integers(0, 60), data=st.data())
def test_text_between_ends_held_to_days_starts_with_one_of_them(first, data):
    """Property: for ends spelled as a batch's are (a day and what follows it, a run's end,
    other text near the days), where ``held_to_days`` says the ends hold the text between
    to the days, every text near them that lies between starts with one of the days."""
    start = date(2025, 1, 1) + timedelta(days=first)
    # Mostly one run of days (as a span's are), sometimes more.
    in_run = (next_run_start(start) - start).days
    days = _days(start.isoformat(), data.draw(st.integers(1, in_run) | st.integers(1, MAX_BATCH_DAYS)))
    probes = _probes(start, date.fromisoformat(days[-1]))
    ends = st.one_of(st.sampled_from(probes), st.sampled_from([run_end for _, run_end in day_runs(days)]),
                     st.builds(lambda day, tail: day + tail, st.sampled_from(days), st.text(NEAR_CHARACTERS, max_size=6)))
    low, high, included = data.draw(ends), data.draw(ends), data.draw(st.booleans())
    if held_to_days(days, low, high, included):
        between = [text for text in probes if (low <= text <= high if included else low <= text < high)]
        assert all(text[:10] in days for text in between), [t for t in between if t[:10] not in days]


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


def test_spans_end_where_runs_of_days_end_and_test_no_dates_row_by_row(tmp_path):
    """SQLite, 60 days of rows ten minutes apart and text that is no date in every gap
    between two runs of days: spans end where a run does, so once the first window is
    walked the deletes test no date row by row (no pattern, no day ranges), and still
    exactly the old dated rows go."""
    url = f"sqlite:///{tmp_path}/stamps.db"
    table = sa.Table("stamps", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", sa.String(40), index=True))
    moments = [CUTOFF - timedelta(days=50) + timedelta(minutes=10 * n) for n in range(60 * 144)]
    gaps = [f"{month}-{junk}" for month in ("2025-01", "2025-02", "2025-03")
            for junk in ("0:", "0~", "1 x", "1:", "2", "2:", "3", "3:", "32")]
    create_table(url, table, [{"id": n, "at": moment.strftime("%Y-%m-%d %H:%M:%S")} for n, moment in enumerate(moments)]
                 + [{"id": 100_000 + n, "at": text} for n, text in enumerate(gaps)])
    deletes: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("DELETE"):
            deletes.append(statement)

    sa.event.listen(sa.engine.Engine, "after_cursor_execute", record)
    try:
        ctx = apply(datamap_for(url, RULE), NOW, batch_size=500)
    finally:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", record)

    assert ctx.errors == []
    assert set(rows(url, "stamps")) == ({n for n, moment in enumerate(moments) if moment >= CUTOFF}
                                        | {100_000 + n for n in range(len(gaps))})
    untested = [d for d in deletes if "GLOB" not in d and "COLLATE" not in d and "julianday" not in d]
    assert len(deletes) > 20 and len(untested) >= len(deletes) - 4
