"""Tenant overrides: shorter accepted and applied, longer refused with a clear error;
legal holds set through the service reach the nightly run."""
from __future__ import annotations

from datetime import timezone

import pytest
from sqlalchemy import select

from dsar.datamap.model import Duration
from dsar.errors import ValidationError
from dsar.extensions import db
from dsar.jobs.runner import run_job
from dsar.models import AuditEvent
from dsar.retention.overrides import add_retention_hold, not_longer, remove_retention_hold, set_retention_override
from tests.factories import make_tenant
from tests.retention.conftest import rows
from tests.sample_app_db import SAMPLE_NOW

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

NOW = SAMPLE_NOW.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("period, limit, expected", [
    (Duration(6, "months"), Duration(12, "months"), True),
    (Duration(12, "months"), Duration(12, "months"), True),
    (Duration(365, "days"), Duration(1, "years"), True),
    (Duration(366, "days"), Duration(1, "years"), False),  # longer in a year without 29 February
    (Duration(13, "months"), Duration(1, "years"), False),
    (Duration(52, "weeks"), Duration(1, "years"), True),
    (Duration(31, "days"), Duration(1, "months"), False),  # longer than a 30-day month
    (Duration(28, "days"), Duration(1, "months"), True),
])
def test_not_longer_holds_on_every_calendar_day(period, limit, expected):
    assert not_longer(period, limit) is expected


def test_a_shorter_override_is_stored_audited_and_applied(app, acme, sample):
    set_retention_override(acme, "app.server_logs", "30 days", actor="user:1")
    db.session.commit()

    assert acme.setting("retention_overrides") == {"app.server_logs": "30 days"}
    event = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "retention_override")).scalar_one()
    assert event.payload == {"table": "app.server_logs", "period": "30 days"}
    run = run_job("retention", tenant_id=acme.id, now=NOW)
    assert "app.server_logs: delete after 30 days" in run.stats
    kept = rows(sample.url, "server_logs", "logged_at")
    assert all(str(at) >= "2025-05-02" for (at,) in kept.values())


@pytest.mark.parametrize("table, period, message", [
    ("app.conversations", "18 months", "retention override for app.conversations refused: 18 months is longer than "
                                        "the data map's 12 months; an override may only shorten a retention period"),
    ("app.widget_visits", "31 days", "31 days is longer than the data map's 30 days"),
    ("app.server_logs", "3 monts", "'3 monts' is not a period"),
    ("app.nowhere", "1 day", "'app.nowhere' is not a table of the data map"),
    ("app.accounts", "1 day", "app.accounts has no retention rule in the data map to shorten"),
])
def test_an_override_that_would_not_shorten_is_refused(app, acme, table, period, message):
    with pytest.raises(ValidationError) as refused:
        set_retention_override(acme, table, period)
    assert message in refused.value.message
    db.session.rollback()
    assert acme.setting("retention_overrides") == {}


def test_an_override_needs_a_data_map(app):
    tenant = make_tenant()
    with pytest.raises(ValidationError, match="has no data map"):
        set_retention_override(tenant, "app.messages", "1 month")


def test_removing_an_override_restores_the_map(app, acme):
    set_retention_override(acme, "app.conversations", "6 months")
    set_retention_override(acme, "app.conversations", None)
    assert acme.setting("retention_overrides") == {}


def test_a_legal_hold_set_by_staff_is_honoured_by_the_job_until_removed(app, acme, sample):
    held = sample.subjects[0]
    add_retention_hold(acme, "app.accounts", "id", held.account_id, "court order 2025/17")
    db.session.commit()
    before = rows(sample.url, "messages", "body")

    run_job("retention", tenant_id=acme.id, now=NOW)

    after = rows(sample.url, "messages", "body")
    assert held.rows["messages"] <= set(after)
    assert len(after) < len(before)  # other subjects' old messages went
    remove_retention_hold(acme, "app.accounts", "id", held.account_id)
    db.session.commit()
    run_job("retention", tenant_id=acme.id, now=NOW)
    assert not held.rows["messages"] <= set(rows(sample.url, "messages", "body"))


@pytest.mark.parametrize("table, reason, message", [
    ("app.accounts", "  ", "a legal hold needs a reason"),
    ("app.nope", "court order", "'app.nope' is not a table"),
])
def test_a_bad_legal_hold_is_refused(app, acme, table, reason, message):
    with pytest.raises(ValidationError, match=message):
        add_retention_hold(acme, table, "id", 1, reason)
