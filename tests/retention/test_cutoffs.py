"""Every action and unit at its cutoff boundary, on real and ISO-text timestamp columns.

A row exactly at the cutoff and one a second newer are kept; one a second older is acted
on. Text timestamps mix ISO spellings (``T``/space, ``Z``, an offset) on purpose: they are
compared as instants, not as strings.
"""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.retention.conftest import apply, create_table, datamap_for, rows

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

UNITS = [
    # period, now, the cutoff worked out by hand (month rule: clamp to the month's last day)
    ("30 days", datetime(2024, 2, 29, 12, 0, tzinfo=timezone.utc), datetime(2024, 1, 30, 12, 0)),
    ("1 month", datetime(2025, 3, 31, 12, 0, tzinfo=timezone.utc), datetime(2025, 2, 28, 12, 0)),
    ("1 year", datetime(2024, 2, 29, 12, 0, tzinfo=timezone.utc), datetime(2023, 2, 28, 12, 0)),
]
ACTIONS = {
    "delete": "action: delete",
    "anonymize_ip": "action: anonymize_ip, column: ip, level: 1",
    "anonymize": "action: anonymize, columns: {note: redact}",
}
AT_CUTOFF, NEWER, OLDER = 1, 2, 3
IP = "10.1.2.3"


def events(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("events", metadata,
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("at", sa.DateTime, nullable=False),
                    sa.Column("at_text", sa.String(40), nullable=False),
                    sa.Column("ip", sa.String(45)),
                    sa.Column("note", sa.String(100)))


def boundary_rows(cutoff: datetime) -> list[dict]:
    second = timedelta(seconds=1)
    newer_in_paris = cutoff + second + timedelta(hours=1)
    return [
        {"id": AT_CUTOFF, "at": cutoff, "at_text": f"{cutoff:%Y-%m-%dT%H:%M:%S}Z"},
        {"id": NEWER, "at": cutoff + second, "at_text": f"{newer_in_paris:%Y-%m-%dT%H:%M:%S}+01:00"},
        {"id": OLDER, "at": cutoff - second, "at_text": f"{cutoff - second:%Y-%m-%d %H:%M:%S}"},
    ]


@pytest.mark.parametrize("column", ["at", "at_text"])
@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("period, now, cutoff", UNITS, ids=[u[0] for u in UNITS])
def test_only_the_row_older_than_the_cutoff_is_touched(source_url, column, action, period, now, cutoff):
    create_table(source_url, events(sa.MetaData()),
                 [{**row, "ip": IP, "note": "hello"} for row in boundary_rows(cutoff)])
    datamap = datamap_for(source_url, f"""\
      - name: events
        primary_key: id
        retention: {{after: {period}, from: {column}, {ACTIONS[action]}}}
""")
    ctx = apply(datamap, now)

    assert ctx.errors == []
    after = rows(source_url, "events", "ip", "note")
    untouched = (IP, "hello")
    assert after[AT_CUTOFF] == untouched and after[NEWER] == untouched
    expected_older = {"delete": None, "anonymize_ip": ("10.1.2.0", "hello"), "anonymize": (IP, "[redacted]")}[action]
    assert after.get(OLDER) == expected_older
    assert list(ctx.stats.values()) == [1]
