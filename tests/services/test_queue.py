"""The staff queue: filters, overdue, sort, pagination, search by hash, tenant scope."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from dsar.errors import ValidationError
from dsar.extensions import db
from dsar.models import RightsRequest
from dsar.services import lifecycle
from dsar.services.queue import is_overdue, queue
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

TODAY = date(2025, 6, 16)


def received(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone.utc)


def new_request(tenant, day: date, *, type="access", email="subject@example.com", **fields) -> RightsRequest:
    request = lifecycle.create_request(tenant, type=type, subject=lifecycle.Subject(email=email),
                                       received_at=received(day), **fields)
    db.session.commit()
    return request


def refs(page) -> list[str]:
    return [r.reference for r in page.items]


def test_sorted_by_target_date_then_paginated(app):
    tenant = make_tenant()
    late = new_request(tenant, date(2025, 6, 1))
    early = new_request(tenant, date(2025, 5, 1))
    middle = new_request(tenant, date(2025, 5, 20))
    first = queue(tenant.id, today=TODAY, page=1, per_page=2)
    second = queue(tenant.id, today=TODAY, page=2, per_page=2)
    assert refs(first) == [early.reference, middle.reference]
    assert refs(second) == [late.reference]
    assert (first.total, first.pages, second.page) == (3, 2, 2)
    assert queue(tenant.id, today=TODAY, page=3, per_page=2).items == []


def test_filters_by_status_type_regime_and_assignee(app):
    tenant = make_tenant()
    user = make_user(tenant)
    access = new_request(tenant, date(2025, 6, 1))
    erasure = new_request(tenant, date(2025, 6, 2), type="erasure", regime="uk_gdpr")
    lifecycle.verify(erasure, "subject")
    lifecycle.assign(erasure, user, "user:1")
    db.session.commit()
    assert refs(queue(tenant.id, status="verified", today=TODAY)) == [erasure.reference]
    assert refs(queue(tenant.id, status="unverified", today=TODAY)) == [access.reference]
    assert refs(queue(tenant.id, type="erasure", today=TODAY)) == [erasure.reference]
    assert refs(queue(tenant.id, regime="gdpr", today=TODAY)) == [access.reference]
    assert refs(queue(tenant.id, assignee_id=user.id, today=TODAY)) == [erasure.reference]


def test_status_groups_open_and_closed(app):
    tenant = make_tenant()
    open_ = new_request(tenant, date(2025, 6, 1))
    closed = new_request(tenant, date(2025, 6, 2))
    lifecycle.withdraw(closed, "subject")
    db.session.commit()
    assert refs(queue(tenant.id, status="open", today=TODAY)) == [open_.reference]
    assert refs(queue(tenant.id, status="closed", today=TODAY)) == [closed.reference]


def test_overdue_means_open_running_and_past_target(app):
    tenant = make_tenant()
    overdue = new_request(tenant, date(2025, 4, 1))      # due 1 May 2025
    on_time = new_request(tenant, date(2025, 6, 1))       # due 1 Jul 2025
    closed = new_request(tenant, date(2025, 4, 2))
    lifecycle.withdraw(closed, "subject")
    paused = new_request(tenant, date(2025, 4, 3))
    lifecycle.verify(paused, "subject")
    lifecycle.pause(paused, "user:1", "waiting for a copy of ID")
    db.session.commit()
    assert refs(queue(tenant.id, overdue=True, today=TODAY)) == [overdue.reference]
    assert set(refs(queue(tenant.id, overdue=False, today=TODAY))) == {
        on_time.reference, closed.reference, paused.reference}
    assert is_overdue(overdue, TODAY) and not is_overdue(paused, TODAY) and not is_overdue(closed, TODAY)
    # The day of the deadline itself is not overdue yet.
    assert refs(queue(tenant.id, overdue=True, today=overdue.target_date)) == []


def test_search_by_exact_reference_or_email_hash(app):
    tenant = make_tenant()
    alice = new_request(tenant, date(2025, 6, 1), email="Alice@Example.com")
    bob = new_request(tenant, date(2025, 6, 2), email="bob@example.com")
    assert refs(queue(tenant.id, search=bob.reference.lower(), today=TODAY)) == [bob.reference]
    assert refs(queue(tenant.id, search=" alice@example.COM ", today=TODAY)) == [alice.reference]
    assert refs(queue(tenant.id, search="alice", today=TODAY)) == []          # no partial scan
    assert refs(queue(tenant.id, search="example.com", today=TODAY)) == []
    assert queue(tenant.id, search="   ", today=TODAY).total == 2


def test_only_the_tenants_own_requests(app):
    mine, theirs = make_tenant(), make_tenant()
    own = new_request(mine, date(2025, 6, 1), email="same@example.com")
    other = new_request(theirs, date(2025, 6, 1), email="same@example.com")
    assert refs(queue(mine.id, today=TODAY)) == [own.reference]
    assert refs(queue(mine.id, search=other.reference, today=TODAY)) == []
    assert refs(queue(mine.id, search="same@example.com", today=TODAY)) == [own.reference]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"status": "lost"}, "status"),
    ({"type": "delete"}, "type"),
    ({"regime": "hipaa"}, "regime"),
    ({"page": 0}, "page"),
    ({"per_page": 0}, "per_page"),
    ({"per_page": 101}, "per_page"),
])
def test_bad_filters_name_the_field(app, kwargs, field):
    tenant = make_tenant()
    with pytest.raises(ValidationError) as error:
        queue(tenant.id, today=TODAY, **kwargs)
    assert error.value.details["field"] == field
