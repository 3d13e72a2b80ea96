"""``datamap check`` says, per retention column, how its cutoff is compared and whether an
index serves it, and warns about text values that are no ISO date (never found old)."""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from dsar.datamap.check import check_datamap
from tests.retention.conftest import create_table


def test_check_reports_how_each_cutoff_is_served_and_values_that_are_no_iso_date(source_url, tmp_path):
    table = sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", sa.String(40), index=True), sa.Column("seen", sa.DateTime))
    create_table(source_url, table, [
        {"id": 1, "at": "2025-01-01 10:00:00", "seen": datetime(2025, 1, 1)},
        {"id": 2, "at": "01/02/2025", "seen": None},
        {"id": 3, "at": "yesterday", "seen": None},
        {"id": 4, "at": None, "seen": None},
    ])
    report = check_datamap(_events_map(tmp_path, source_url, """
          - {after: 90 days, from: at, action: delete}
          - {after: 30 days, from: seen, action: anonymize, columns: {at: null}}"""))

    assert "app.events.at: retention cutoff compared as ISO text, served by its index" in report.lines
    seen = "a timestamp" if source_url.startswith("postgresql") else "ISO text"  # SQLite stores timestamps as text
    assert f"app.events.seen: retention cutoff compared as {seen}, not served by an index" in report.lines
    assert ("app.events.at: 2 value(s) do not start with an ISO date (YYYY-MM-DD); retention never finds them old"
            in report.warnings)
    assert not any(w.startswith("app.events.seen: ") and "ISO date" in w for w in report.warnings)


def _events_map(tmp_path, source_url: str, rules: str):
    """A data map of the one table ``events`` with the retention ``rules`` (YAML list items)."""
    path = tmp_path / "acme.yml"
    path.write_text(f"""tenant: acme
sources:
  - name: app
    url: {json.dumps(source_url)}
    tables:
      - name: events
        primary_key: id
        retention:{rules}
""")
    return path


def _check_formats(source_url, tmp_path, stamps: list[str | None]) -> list[str]:
    table = sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", sa.String(40), index=True))
    create_table(source_url, table, [{"id": i, "at": at} for i, at in enumerate(stamps)])
    report = check_datamap(_events_map(tmp_path, source_url, """
          - {after: 90 days, from: at, action: delete}"""))
    assert report.ok, report.render()
    return [line for line in report.lines if line.startswith("app.events.at: ") and "ISO format" in line]


def test_check_reports_one_iso_format_as_compared_as_text(source_url, tmp_path):
    lines = _check_formats(source_url, tmp_path, ["2025-01-01 10:00:00", "2025-02-01 10:00:00.250000",
                                                  "yesterday", None])
    assert lines == ["app.events.at: values share one ISO format (space, whole seconds, no zone; space, fractions, "
                     "no zone): text order is time order, so comparing text is exact"]


def test_check_reports_mixed_iso_formats_as_needing_instants(source_url, tmp_path):
    lines = _check_formats(source_url, tmp_path, ["2025-01-01 10:00:00", "2025-01-01T09:00:00Z",
                                                  "2025-01-02T10:00:00+02:00", "2025-01-03T10:00:00+02:00"])
    assert lines == ["app.events.at: values mix ISO formats (T, whole seconds, Z: 1; T, whole seconds, an offset: 2; "
                     "space, whole seconds, no zone: 1): text order is not time order, so within two days of the "
                     "cutoff values are compared as instants (as text further from it)"]
