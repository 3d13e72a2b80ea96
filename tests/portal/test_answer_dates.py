"""One deadline everywhere (SPEC §3): the subject's status page and letters show the date the
tenant promised — the dashboard's target — and name the legal deadline where it is later;
after an extension the target keeps following the earlier-of rule and the page says which
date is which. Worked examples on a fixed clock."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from dsar.dashboard.deadline_badges import badge
from dsar.extensions import db
from dsar.services import intake, lifecycle
from dsar.services.notifications import notify_subject, status_url
from tests.factories import make_tenant
from tests.portal.helpers import last_mail

WINTER = "2026-12-01T10:00:00+00:00"


@pytest.fixture
def parlo(app):
    """As the demo: UK GDPR in England, a 30-day promise."""
    return make_tenant("parlo", name="Parlo Chat", regime="uk_gdpr", country="GB", policy_days=30)


def _status_text(client, request) -> str:
    page = client.get(status_url(request).removeprefix("http://localhost")).get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _verified(parlo):
    request = intake.submit(parlo, intake.Submission(type="access", email="tomas@example.com"))
    lifecycle.verify(request, "subject")
    db.session.commit()
    return request


@pytest.mark.clock(WINTER)
def test_the_subject_is_promised_the_dashboards_target(client, parlo):
    request = _verified(parlo)
    # 1 Dec + 30 days = 31 Dec (the promise); one calendar month = 1 Jan, a bank holiday
    # (Friday), so the legal deadline rolls to Monday 4 January.
    assert (request.policy_date, request.due_date, request.target_date) == \
        (date(2026, 12, 31), date(2027, 1, 4), date(2026, 12, 31))
    text = _status_text(client, request)
    assert "We answer by December 31, 2026 (the promise of our privacy policy)" in text
    assert "Legal deadline January 4, 2027 the latest date the law allows" in text
    assert badge(request, date(2026, 12, 1)).text == "30 days left"


@pytest.mark.clock(WINTER)
def test_the_acknowledgement_letter_gives_the_same_date(client, parlo):
    request = _verified(parlo)
    notify_subject(request, "acknowledgement")
    db.session.commit()
    assert "We will answer by December 31, 2026 at the latest." in last_mail("acknowledgement").text


@pytest.mark.clock(WINTER)
def test_after_an_extension_each_date_is_named(client, parlo):
    request = _verified(parlo)
    lifecycle.approve(request, "user:1")
    lifecycle.extend(request, "user:1", "three archives to search", now=datetime(2026, 12, 10, tzinfo=timezone.utc))
    db.session.commit()
    # Three calendar months after receipt: 1 March 2027 (a Monday); the policy promise still
    # binds as the target (the earlier of the two, SPEC §3).
    assert (request.extended_to, request.target_date) == (date(2027, 3, 1), date(2026, 12, 31))
    text = _status_text(client, request)
    assert "We answer by December 31, 2026 (the promise of our privacy policy)" in text
    assert "Legal deadline March 1, 2027 (extended) the latest date the law allows" in text
    assert badge(request, date(2027, 1, 2)).text == "policy date passed 2 days ago; legal deadline in 58 days"
    assert badge(request, date(2027, 3, 2)).text == "overdue by 61 days"


@pytest.mark.clock(WINTER)
def test_without_a_policy_the_legal_deadline_is_the_only_date(client, app):
    tenant = make_tenant("acme", regime="gdpr", country="GB")
    request = _verified(tenant)
    text = _status_text(client, request)
    assert "We answer by January 4, 2027 (the legal deadline)" in text and "Legal deadline" not in text
    assert badge(request, date(2026, 12, 1)).text == "34 days left"
