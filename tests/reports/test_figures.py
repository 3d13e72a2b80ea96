"""CCPA §7101–§7102 figures on a known set of requests: exact counts, medians and means,
the register without identifiers, the chart series, the CLI and the dashboard page."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from dsar.extensions import db
from dsar.reports import figures as reports
from dsar.services import lifecycle
from tests.dashboard.factories import FreshContextClient, sign_in
from tests.factories import make_tenant, make_user


INJECTION = '=HYPERLINK("http://evil.example")'
#: (received, type, how it ended, days to respond) — the fixture every test here reads.
FIXTURE = (
    (date(2024, 12, 30), "opt_out", "complied", 1),            # the year before: not counted for 2025
    (date(2025, 1, 6), "access", "complied", 10),
    (date(2025, 2, 3), "access", "complied", 20),
    (date(2025, 3, 3), "access", "complied_in_part", 53),      # after the 45-day CCPA deadline: late
    (date(2025, 3, 10), "access", "denied", 3),
    (date(2025, 4, 1), "access", None, None),                  # still open
    (date(2025, 5, 5), "erasure", "complied", 7),
    (date(2025, 5, 12), "erasure", "withdrawn", 2),            # not a substantive response
    (date(2025, 6, 2), "erasure", "complied", 30),
    (date(2025, 6, 9), "erasure", "complied", 4),
)


@pytest.fixture
def tenant(app):
    tenant = make_tenant("metrics", regime="ccpa", country="US")
    for day, kind, outcome, days in FIXTURE:
        received = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=9)
        request = lifecycle.create_request(tenant, type=kind, received_at=received, channel="email",
                                           subject=lifecycle.Subject(email=f"{kind}.{day}@example.com",
                                                                     name="Rita Report"), actor="test")
        if outcome is None:
            continue
        if outcome == "withdrawn":
            lifecycle.cancel(request, "test", "The subject withdrew")
        elif outcome == "denied":
            lifecycle.deny(request, "test", INJECTION)
        else:
            lifecycle.verify(request, "subject")
            lifecycle.complete(request, "test", outcome=outcome)
        request.completed_at = received + timedelta(days=days, hours=3)
    db.session.commit()
    return tenant


def by_type(result):
    return {row.type: row for row in result.by_type}


@pytest.mark.calendar
def test_counts_medians_and_means_per_type(tenant):
    result = reports.metrics(tenant.id, 2025)
    rows = by_type(result)
    assert list(rows) == ["access", "erasure"]
    access, erasure, total = rows["access"], rows["erasure"], result.total
    assert (access.received, access.complied, access.complied_in_part, access.denied, access.open) == (5, 2, 1, 1, 1)
    assert (access.median_days, access.mean_days) == (15.0, 21.5)            # 3, 10, 20, 53
    assert (erasure.received, erasure.complied, erasure.withdrawn) == (4, 3, 1)
    assert (erasure.median_days, erasure.mean_days) == (7.0, 13.7)           # 4, 7, 30
    assert (total.received, total.median_days, total.mean_days) == (9, 10.0, 18.1)  # 3 4 7 10 20 30 53
    previous = reports.metrics(tenant.id, 2024)
    assert [(r.type, r.received, r.median_days) for r in previous.by_type] == [("opt_out", 1, 1.0)]
    assert reports.metrics(tenant.id, 2023).total.received == 0


@pytest.mark.calendar
def test_another_tenant_is_not_counted(tenant):
    other = make_tenant("elsewhere", regime="ccpa", country="US")
    lifecycle.create_request(other, type="access", subject=lifecycle.Subject(email="x@example.com"),
                             received_at=datetime(2025, 1, 7, tzinfo=timezone.utc))
    db.session.commit()
    assert reports.metrics(tenant.id, 2025).total.received == 9
    assert reports.metrics(other.id, 2025).total.received == 1


@pytest.mark.calendar
def test_the_register_has_the_7101_fields_and_no_identifier(tenant):
    entries = reports.register(tenant.id, 2025)
    assert len(entries) == 9
    text = "".join(reports.register_csv(entries))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["received_on", "type", "channel", "regime", "responded_on", "outcome", "denial_reason"]
    assert rows[1] == ["2025-01-06", "access", "email", "ccpa", "2025-01-16", "complied", ""]
    assert rows[4] == ["2025-03-10", "access", "email", "ccpa", "2025-03-13", "denied", "'" + INJECTION]
    assert rows[5] == ["2025-04-01", "access", "email", "ccpa", "", "", ""]
    assert "@" not in text and "Rita" not in text
    assert len(reports.register(tenant.id)) == 10  # every year


@pytest.mark.calendar
def test_weekly_series_and_deadline_attainment(tenant):
    weeks = reports.weekly_counts(tenant.id, 2025)
    assert min(weeks) == date(2024, 12, 30) and max(weeks) == date(2025, 12, 29)
    assert sum(sum(c.values()) for c in weeks.values()) == 9
    assert weeks[date(2024, 12, 30)]["opt_out"] == 0  # received in 2024: another year
    assert weeks[date(2025, 1, 6)]["access"] == 1 and weeks[date(2025, 6, 9)]["erasure"] == 1
    attainment = reports.deadline_attainment(tenant.id, 2025)
    assert (attainment[3].on_time, attainment[3].late) == (1, 1)
    assert sum(a.on_time for a in attainment.values()) == 6 and sum(a.late for a in attainment.values()) == 1
    assert reports.years_with_requests(tenant.id) == [2025, 2024]


@pytest.mark.calendar
@pytest.mark.parametrize("fmt", ["json", "csv", "text"])
def test_the_cli(cli, tenant, fmt):
    result = cli.invoke(args=["report", "metrics", "--tenant", "metrics", "--year", "2025", "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        body = json.loads(result.output)
        (only,) = body["tenants"]
        assert body["year"] == 2025 and only["tenant"] == "metrics"
        assert {r["type"]: r["median_days"] for r in only["by_type"]} == {"access": 15.0, "erasure": 7.0}
        assert only["total"]["mean_days"] == 18.1
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.output)))
        assert [(r["type"], r["received"], r["median_days"]) for r in rows] == [
            ("access", "5", "15.0"), ("erasure", "4", "7.0"), ("all", "9", "10.0")]
    else:
        assert "metrics — requests received in 2025" in result.output
        line = next(line for line in result.output.splitlines() if line.strip().startswith("access"))
        assert line.split() == ["access", "5", "2", "1", "1", "0", "0", "1", "15", "21.5"]
        header = next(line for line in result.output.splitlines() if line.strip().startswith("type")).split()
        assert header[:8] == ["type", "received", "whole", "part", "denied", "withdrawn", "expired", "open"]
        for row in result.output.splitlines():  # every row adds up: each ending has a column
            cells = row.split()
            if cells and cells[0] in ("access", "erasure", "all"):
                assert int(cells[1]) == sum(int(c) for c in cells[2:8]), row


def test_the_cli_names_an_unknown_tenant(cli, tenant):
    result = cli.invoke(args=["report", "metrics", "--tenant", "nobody"])
    assert result.exit_code != 0 and "no tenant 'nobody'" in result.output


@pytest.mark.calendar
def test_the_cli_covers_every_tenant_by_default(cli, tenant):
    make_tenant("quiet")
    result = cli.invoke(args=["report", "metrics", "--year", "2025"])
    assert result.exit_code == 0
    assert "metrics — requests received in 2025" in result.output and "quiet — " in result.output
    assert "no requests received this year" in result.output


@pytest.mark.calendar
def test_the_dashboard_page_and_csv(app, tenant):
    app.test_client_class = FreshContextClient
    client = app.test_client()
    sign_in(client, make_user(tenant, "auditor"), tenant)
    page = client.get("/dashboard/reports", query_string={"year": 2025}).get_data(as_text=True)
    assert "Requests received in 2025" in page and "<td>21.5</td>" in page and "<td>13.7</td>" in page
    assert page.count('<svg class="chart"') == 2 and "<title>06 Jan: access 1</title>" in page
    assert "<title>Mar: late 1</title>" in page
    download = client.get("/dashboard/reports/register.csv", query_string={"year": 2025})
    assert download.mimetype == "text/csv" and "attachment" in download.headers["Content-Disposition"]
    assert download.get_data(as_text=True) == "".join(reports.register_csv(reports.register(tenant.id, 2025)))
