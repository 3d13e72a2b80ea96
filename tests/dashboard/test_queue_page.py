"""The queue page: target-date order, days-left badges, filters, search, pages, empty states."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from dsar.extensions import db
from dsar.models import utcnow
from dsar.services import lifecycle
from tests.dashboard.factories import make_request, sign_in
from tests.factories import make_tenant, make_user


@pytest.fixture
def tenant(app):
    # A plain 30-day promise: target dates are easy to reason about.
    return make_tenant("queue", regime="policy", policy_days=30, country="GB")


@pytest.fixture
def staff(tenant, client):
    user = make_user(tenant, "agent")
    sign_in(client, user, tenant)
    return user


def references(html: str) -> list[str]:
    return re.findall(r'href="/dashboard/requests/(DSR-[0-9A-Z-]+)"', html)


def received(days_ago: int):
    return utcnow() - timedelta(days=days_ago, minutes=5)


def badge_of(html: str, reference: str) -> tuple[str, str]:
    row = html.split(f'/dashboard/requests/{reference}"', 1)[1].split("</tr>", 1)[0]
    colour, text = re.search(r'<span class="badge (\w+)">([^<]+)</span>', row).groups()
    return colour, text


@pytest.mark.clock("2026-12-01T10:00:00+00:00")
def test_sorted_by_target_date_with_days_left_badges(client, tenant, staff):
    # "Today" is Tuesday 1 Dec 2026; the promise is 30 days, rolled past a weekend to Monday.
    fresh = make_request(tenant, received_at=received(1))       # 30 Nov -> 30 Dec: 29 days left
    amber = make_request(tenant, received_at=received(24))      # 7 Nov -> 7 Dec: 6 days left
    red = make_request(tenant, received_at=received(28))        # 3 Nov -> 3 Dec: 2 days left
    late = make_request(tenant, received_at=received(31))       # 31 Oct -> 30 Nov: overdue by 1 day
    weekend = make_request(tenant, received_at=received(33))    # 29 Oct -> Sat 28 Nov -> Mon 30 Nov
    oldest = make_request(tenant, received_at=received(35))     # 27 Oct -> 26 Nov: overdue by 5 days
    html = client.get("/dashboard/").get_data(as_text=True)
    assert references(html) == [r.reference for r in (oldest, late, weekend, red, amber, fresh)]
    assert badge_of(html, fresh.reference) == ("green", "29 days left")
    assert badge_of(html, amber.reference) == ("amber", "6 days left")
    assert badge_of(html, red.reference) == ("red", "2 days left")
    assert badge_of(html, late.reference) == ("overdue", "overdue by 1 day")
    assert badge_of(html, weekend.reference) == ("overdue", "overdue by 1 day")
    assert badge_of(html, oldest.reference) == ("overdue", "overdue by 5 days")


@pytest.mark.calendar
def test_badges_count_days_from_whatever_today_is(client, tenant, staff):
    """On any day the run is moved to: a new request has about a month left, an old one is overdue."""
    today = utcnow().date()
    fresh = make_request(tenant, received_at=received(1))
    old = make_request(tenant, received_at=received(45))
    html = client.get("/dashboard/").get_data(as_text=True)
    assert references(html) == [old.reference, fresh.reference]
    left, late = (fresh.target_date - today).days, (today - old.target_date).days
    assert 28 <= left <= 33 and 8 <= late <= 15
    assert badge_of(html, fresh.reference) == ("green", f"{left} days left")
    assert badge_of(html, old.reference) == ("overdue", f"overdue by {late} days")


def test_filters_by_status_type_regime_assignee_and_overdue(client, tenant, staff):
    access = make_request(tenant, "access", received_at=received(40))
    erasure = make_request(tenant, "erasure", regime="gdpr")
    lifecycle.assign(erasure, staff, "test")
    verified = make_request(tenant, "objection")
    lifecycle.verify(verified, "subject")
    db.session.commit()

    def listed(**query):
        return references(client.get("/dashboard/", query_string=query).get_data(as_text=True))

    assert listed(type="erasure") == [erasure.reference]
    assert listed(regime="gdpr") == [erasure.reference]
    assert listed(status="verified") == [verified.reference]
    assert set(listed(status="open")) == {access.reference, erasure.reference, verified.reference}
    assert listed(assignee=str(staff.id)) == [erasure.reference]
    assert listed(overdue="1") == [access.reference]
    page = client.get("/dashboard/", query_string={"status": "nonsense"}).get_data(as_text=True)
    assert "Status: status &#39;nonsense&#39; is unknown" in page and references(page) == []


def test_search_by_reference_or_exact_email(client, tenant, staff):
    wanted = make_request(tenant, email="Find.Me@Example.org")
    other = make_request(tenant, email="someone.else@example.org")
    by_email = client.get("/dashboard/", query_string={"q": "find.me@example.org"}).get_data(as_text=True)
    assert references(by_email) == [wanted.reference]
    by_reference = client.get("/dashboard/", query_string={"q": other.reference.lower()}).get_data(as_text=True)
    assert references(by_reference) == [other.reference]
    partial = client.get("/dashboard/", query_string={"q": "find.me"}).get_data(as_text=True)
    assert references(partial) == [] and "Nothing matches these filters" in partial


def test_pages_of_twenty_five(client, tenant, staff):
    made = [make_request(tenant, received_at=received(days)) for days in range(27)]
    first = client.get("/dashboard/").get_data(as_text=True)
    second = client.get("/dashboard/", query_string={"page": 2}).get_data(as_text=True)
    assert len(references(first)) == 25 and len(references(second)) == 2
    assert set(references(first)) | set(references(second)) == {r.reference for r in made}
    assert "Page 1 of 2" in first and "page=2" in first and "Page 2 of 2" in second


def test_empty_states(client, tenant, staff):
    empty = client.get("/dashboard/").get_data(as_text=True)
    assert "No requests yet" in empty and "http://localhost/t/queue/" in empty
    make_request(tenant, "access")
    filtered = client.get("/dashboard/", query_string={"type": "erasure"}).get_data(as_text=True)
    assert "Nothing matches these filters" in filtered and 'href="/dashboard/">Clear filters' in filtered


def test_the_queue_names_the_requester_and_finds_part_of_a_reference(client, tenant, staff):
    named = make_request(tenant, email="ada@example.org", name="Ada Lovelace")
    unnamed = make_request(tenant, email="no.name@example.org", name=None)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "Requester" in page and "Ada Lovelace" in page and "no.name@example.org" in page
    part = named.reference.split("-")[2]  # four characters, as read over the phone
    found = client.get("/dashboard/", query_string={"q": part.lower()}).get_data(as_text=True)
    assert named.reference in references(found) and unnamed.reference not in references(found)
    short = client.get("/dashboard/", query_string={"q": part[:3]}).get_data(as_text=True)
    assert references(short) == []  # fewer than four characters: no partial match
    wild = client.get("/dashboard/", query_string={"q": "%%%%"}).get_data(as_text=True)
    assert references(wild) == []  # LIKE wildcards are searched as text
