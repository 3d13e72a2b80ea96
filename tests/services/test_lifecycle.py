"""The request life cycle through the service: worked deadline examples a DPO can check with a
calendar, then extension, pause/resume, erasure scheduling, manual entry and the audit trail.

"Today" is fixed by receiving requests in the past and passing ``now`` to the clock actions.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from dsar.errors import Conflict, ValidationError
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import AuditEvent, OutboxMessage, RightsRequest, utcnow
from dsar.services import lifecycle
from dsar.services.lifecycle import Subject
from tests.clock import FromNow, resolve
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

D = date


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=timezone.utc)


def new_request(tenant, received: date, *, type="access", email="subject@example.com", **fields) -> RightsRequest:
    request = lifecycle.create_request(tenant, type=type, subject=Subject(email=email, name="Ada"),
                                       received_at=at(received), **fields)
    db.session.commit()
    return request


def working(tenant, received: date, **fields) -> RightsRequest:
    """A request verified and in progress, as staff work it."""
    request = new_request(tenant, received, **fields)
    lifecycle.verify(request, "subject")
    lifecycle.approve(request, "user:1")
    db.session.commit()
    return request


def events(request, kind: str) -> list[AuditEvent]:
    return db.session.execute(select(AuditEvent).where(AuditEvent.request_id == request.id,
                                                       AuditEvent.kind == kind)).scalars().all()


def outbox(request, template: str) -> int:
    return len(messages(request, template))


def messages(request, template: str) -> list[str]:
    """The text of each message of ``template`` queued for the request."""
    rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.request_id == request.id,
                                                          OutboxMessage.template == template)).scalars()
    return [keyring().decrypt_text(row.body_text_enc) for row in rows]


# --- worked examples: the deadline each request carries ------------------------------------------


@pytest.mark.parametrize(
    ("regime", "country", "received", "due", "acknowledge_by"),
    [
        pytest.param("gdpr", "GB", D(2025, 1, 31), D(2025, 2, 28), None, id="31-jan-to-28-feb-friday"),
        pytest.param("gdpr", "GB", D(2024, 1, 31), D(2024, 2, 29), None, id="leap-year-29-feb"),
        pytest.param("gdpr", "GB", D(2025, 8, 31), D(2025, 9, 30), None, id="31-aug-to-30-sep"),
        pytest.param("gdpr", "GB", D(2025, 12, 31), D(2026, 2, 2), None,
                     id="31-dec-to-sat-31-jan-rolls-to-mon-2-feb"),
        pytest.param("gdpr", "GB", D(2025, 2, 15), D(2025, 3, 17), None, id="saturday-rolls-to-monday"),
        pytest.param("gdpr", "GB", D(2025, 11, 25), D(2025, 12, 29), None, id="gb-christmas-boxing-weekend"),
        pytest.param("uk_gdpr", "GB", D(2025, 3, 18), D(2025, 4, 21), None, id="gb-good-friday-easter-monday-not-nationwide"),
        pytest.param("uk_gdpr", "GB-ENG", D(2025, 3, 18), D(2025, 4, 22), None, id="england-easter-monday"),
        pytest.param("gdpr", "FR", D(2025, 6, 14), D(2025, 7, 15), None, id="fr-quatorze-juillet"),
        pytest.param("gdpr", "FR", D(2025, 4, 1), D(2025, 5, 2), None, id="fr-fete-du-travail"),
        pytest.param("gdpr", "DE", D(2025, 9, 3), D(2025, 10, 6), None, id="de-tag-der-deutschen-einheit-friday"),
        pytest.param("gdpr", "DE", D(2025, 11, 25), D(2025, 12, 29), None, id="de-weihnachten"),
        pytest.param("ccpa", "US", D(2025, 1, 2), D(2025, 2, 18), D(2025, 1, 16), id="ccpa-45-days-sunday-presidents-day"),
        pytest.param("lgpd", "BR", D(2025, 4, 6), D(2025, 4, 22), None, id="lgpd-15-days-tiradentes"),
    ],
)
def test_every_request_carries_its_legal_deadline(app, regime, country, received, due, acknowledge_by):
    tenant = make_tenant(regime=regime, country=country)
    request = new_request(tenant, received)
    db.session.expire_all()  # as read back from the database
    request = db.session.get(RightsRequest, request.id)
    assert request.due_date == due
    assert request.target_date == due
    assert (request.policy_date, request.extended_to, request.paused_days) == (None, None, 0)
    assert request.acknowledge_by == acknowledge_by
    assert lifecycle.days_left(request, received) == (due - received).days


@pytest.mark.parametrize(
    ("received", "due", "policy", "target"),
    [
        pytest.param(D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 2), D(2025, 2, 28), id="legal-earlier"),
        pytest.param(D(2025, 3, 1), D(2025, 4, 1), D(2025, 3, 31), D(2025, 3, 31), id="policy-earlier"),
        pytest.param(D(2025, 5, 3), D(2025, 6, 3), D(2025, 6, 2), D(2025, 6, 2), id="policy-not-rolled"),
    ],
)
def test_target_is_the_earlier_of_legal_and_policy(app, received, due, policy, target):
    tenant = make_tenant(regime="gdpr", country="GB", policy_days=30)
    request = new_request(tenant, received)
    assert (request.due_date, request.policy_date, request.target_date) == (due, policy, target)


def test_policy_regime_counts_tenant_days_and_rolls(app):
    tenant = make_tenant(regime="policy", country="GB", policy_days=30)
    request = new_request(tenant, D(2025, 3, 8))  # +30 = Mon 7 Apr
    # Under the policy regime the promise is the deadline itself: no second policy date.
    assert (request.due_date, request.policy_date, request.target_date) == (D(2025, 4, 7), None, D(2025, 4, 7))
    weekend = new_request(tenant, D(2025, 3, 6))   # +30 = Sat 5 Apr -> Mon 7 Apr
    assert (weekend.due_date, weekend.target_date) == (D(2025, 4, 7), D(2025, 4, 7))


def test_receipt_day_is_the_utc_date_whatever_the_offset_given(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    local = datetime(2025, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))   # 31 Jan 22:30 UTC
    request = lifecycle.create_request(tenant, type="access", subject=Subject(email="a@example.com"),
                                       received_at=local)
    assert request.received_at == datetime(2025, 1, 31, 22, 30, tzinfo=timezone.utc)
    assert request.due_date == D(2025, 2, 28)


# --- extension --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "country", "received", "today", "due", "extended_to"),
    [
        pytest.param("gdpr", "GB", D(2025, 1, 31), D(2025, 2, 28), D(2025, 2, 28), D(2025, 4, 30),
                     id="gdpr-on-the-last-day-to-three-months"),
        pytest.param("uk_gdpr", "GB", D(2025, 8, 31), D(2025, 9, 1), D(2025, 9, 30), D(2025, 12, 1),
                     id="uk-30-nov-sunday-rolls-to-1-dec"),
        pytest.param("gdpr", "GB", D(2024, 11, 30), D(2024, 12, 2), D(2024, 12, 30), D(2025, 2, 28),
                     id="gdpr-three-months-to-28-feb"),
        pytest.param("ccpa", "US", D(2025, 1, 2), D(2025, 2, 18), D(2025, 2, 18), D(2025, 4, 2),
                     id="ccpa-plus-45-on-the-rolled-day"),
    ],
)
def test_extend_within_the_first_period(app, regime, country, received, today, due, extended_to):
    tenant = make_tenant(regime=regime, country=country)
    request = working(tenant, received)
    lifecycle.extend(request, "user:1", "  1,200 pages of records to review  ", now=at(today),
                     message="1,200 pages of records to review")
    db.session.commit()
    assert (request.due_date, request.extended_to, request.target_date) == (due, extended_to, extended_to)
    [event] = events(request, "extend")
    assert event.reason == "1,200 pages of records to review"
    assert event.payload["extended_to"] == extended_to.isoformat()
    assert event.payload["subject_told"] is True
    [text] = messages(request, "extended")
    assert "1,200 pages of records to review" in text


def test_extension_of_a_request_without_email_is_recorded_as_not_told(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    request = lifecycle.enter_request(tenant, type="access", channel="post", received_at=at(D(2025, 1, 31)),
                                      subject=Subject(name="Ada", details="12 High St"), actor="user:1")
    lifecycle.extend(request, "user:1", "complex", now=at(D(2025, 2, 3)))
    assert events(request, "extend")[0].payload["subject_told"] is False
    assert outbox(request, "extended") == 0


def test_extension_keeps_an_earlier_policy_target(app):
    tenant = make_tenant(regime="gdpr", country="GB", policy_days=20)
    request = working(tenant, D(2025, 1, 31))
    lifecycle.extend(request, "user:1", "complex", now=at(D(2025, 2, 3)))
    assert (request.extended_to, request.policy_date, request.target_date) == (
        D(2025, 4, 30), D(2025, 2, 20), D(2025, 2, 20))


@pytest.mark.parametrize(
    ("regime", "country", "received", "today", "message"),
    [
        pytest.param("gdpr", "GB", D(2025, 1, 31), D(2025, 3, 1), "before the original deadline", id="gdpr-too-late"),
        pytest.param("ccpa", "US", D(2025, 1, 2), D(2025, 2, 19), "before the original deadline", id="ccpa-too-late"),
        pytest.param("lgpd", "BR", D(2025, 4, 6), D(2025, 4, 7), "allows no extension", id="lgpd-never"),
    ],
)
def test_extension_refused(app, regime, country, received, today, message):
    tenant = make_tenant(regime=regime, country=country)
    request = working(tenant, received)
    with pytest.raises(Conflict, match=message):
        lifecycle.extend(request, "user:1", "complex", now=at(today))
    assert request.extended_to is None and events(request, "extend") == []


def test_only_one_extension(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    request = working(tenant, D(2025, 1, 31))
    lifecycle.extend(request, "user:1", "complex", now=at(D(2025, 2, 3)))
    with pytest.raises(Conflict, match="already been extended"):
        lifecycle.extend(request, "user:1", "more", now=at(D(2025, 2, 4)))
    assert request.extended_to == D(2025, 4, 30)


def test_extension_needs_a_reason_and_an_open_request(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    request = working(tenant, D(2025, 1, 31))
    with pytest.raises(ValidationError) as error:
        lifecycle.extend(request, "user:1", "   ", now=at(D(2025, 2, 3)))
    assert error.value.details["field"] == "reason" and request.extended_to is None
    lifecycle.complete(request, "user:1")
    with pytest.raises(Conflict, match="completed"):
        lifecycle.extend(request, "user:1", "complex", now=at(D(2025, 2, 3)))


def test_a_pause_in_progress_keeps_the_extension_window_open(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    request = working(tenant, D(2025, 1, 10))              # due Mon 10 Feb
    lifecycle.pause(request, "user:1", "need ID", now=at(D(2025, 2, 5)))
    lifecycle.extend(request, "user:1", "complex", now=at(D(2025, 2, 14)))   # paused 9 days so far
    lifecycle.resume(request, "user:1", now=at(D(2025, 2, 14)))
    assert request.paused_days == 9
    # 10 Apr + 9 days = Sat 19 Apr; Easter Monday is not a GB-wide holiday: Mon 21 Apr.
    assert request.extended_to == D(2025, 4, 21)


def test_policy_regime_extension_is_the_tenants(app):
    tenant = make_tenant(regime="policy", country="GB", policy_days=30)
    tenant.settings = {"policy_extension_days": 15}
    db.session.commit()
    request = working(tenant, D(2025, 3, 8))   # due Mon 7 Apr
    lifecycle.extend(request, "user:1", "complex", now=at(D(2025, 3, 10)))
    assert (request.due_date, request.extended_to, request.target_date) == (
        D(2025, 4, 7), D(2025, 4, 22), D(2025, 4, 22))   # 8 Mar + 45 days, a Tuesday


# --- pause and resume ------------------------------------------------------------------------------


def test_pause_then_resume_moves_the_deadline_by_the_days_paused(app):
    tenant = make_tenant(regime="gdpr", country="GB", policy_days=30)
    request = working(tenant, D(2025, 1, 6))                     # due Thu 6 Feb, policy Wed 5 Feb
    lifecycle.pause(request, "user:1", "  copy of passport needed ", now=at(D(2025, 1, 10)))
    db.session.commit()
    assert request.status == "paused" and request.paused_at == at(D(2025, 1, 10))
    assert lifecycle.days_left(request, D(2025, 1, 15)) == (D(2025, 2, 5) - D(2025, 1, 10)).days  # frozen
    lifecycle.resume(request, "user:1", now=at(D(2025, 1, 20), hour=9))
    db.session.commit()
    assert (request.status, request.paused_days, request.paused_at) == ("in_progress", 10, None)
    assert request.due_date == D(2025, 2, 17)                    # 6 Feb + 10 = Sun 16 Feb -> Mon 17
    assert request.policy_date == D(2025, 2, 15)                 # not rolled
    assert request.target_date == D(2025, 2, 15)
    [paused] = events(request, "pause")
    assert paused.reason == "copy of passport needed" and paused.actor == "user:1"
    [resumed] = events(request, "resume")
    assert resumed.payload["paused_days"] == 10
    [text] = messages(request, "paused")
    assert "copy of passport needed" in text


def test_pauses_add_up_and_same_day_resume_adds_nothing(app):
    tenant = make_tenant(regime="uk_gdpr", country="GB")
    request = working(tenant, D(2025, 3, 3))                     # due Thu 3 Apr
    lifecycle.pause(request, "user:1", "which account?", now=at(D(2025, 3, 4), hour=9))
    lifecycle.resume(request, "user:1", now=at(D(2025, 3, 4), hour=17))
    assert request.paused_days == 0 and request.due_date == D(2025, 4, 3)
    lifecycle.pause(request, "user:1", "ID", now=at(D(2025, 3, 5)))
    lifecycle.resume(request, "user:1", now=at(D(2025, 3, 8)))
    lifecycle.pause(request, "user:1", "ID again", now=at(D(2025, 3, 10)))
    lifecycle.resume(request, "user:1", now=at(D(2025, 3, 12)))
    assert request.paused_days == 5 and request.due_date == D(2025, 4, 8)


@pytest.mark.parametrize(("regime", "country", "settings"), [
    pytest.param("ccpa", "US", {}, id="ccpa"),
    pytest.param("lgpd", "BR", {}, id="lgpd"),
    pytest.param("gdpr", "FR", {"gdpr_pauses": False}, id="gdpr-where-the-authority-does-not-pause"),
    pytest.param("policy", "GB", {}, id="policy-without-pauses"),
])
def test_pause_refused_where_the_clock_never_stops(app, regime, country, settings):
    tenant = make_tenant(regime=regime, country=country, policy_days=30)
    tenant.settings = settings
    db.session.commit()
    request = working(tenant, D(2025, 3, 3))
    with pytest.raises(Conflict, match="cannot be paused"):
        lifecycle.pause(request, "user:1", "need ID")
    assert request.status == "in_progress" and request.paused_at is None


def test_pause_needs_a_reason_and_a_running_request(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    request = working(tenant, D(2025, 3, 3))
    with pytest.raises(ValidationError) as error:
        lifecycle.pause(request, "user:1", " ")
    assert error.value.details["field"] == "reason"
    with pytest.raises(Conflict, match="cannot resume a request that is in progress"):
        lifecycle.resume(request, "user:1")
    unverified = new_request(tenant, D(2025, 3, 3))
    with pytest.raises(Conflict, match="cannot pause a request that is unverified"):
        lifecycle.pause(unverified, "user:1", "need ID")


def test_closing_a_paused_request_stops_its_clock(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    request = working(tenant, D(2025, 3, 3))
    lifecycle.pause(request, "user:1", "need ID", now=utcnow() - timedelta(days=3))
    lifecycle.deny(request, "user:1", "identity never proven")
    assert (request.status, request.paused_at, request.paused_days) == ("denied", None, 3)
    assert lifecycle.days_left(request, D(2025, 3, 10)) is None


# --- erasure: grace period capped by the legal deadline ----------------------------------------


@pytest.mark.parametrize(
    ("grace", "now", "expected"),
    [
        pytest.param(7, at(D(2025, 1, 31), 15), at(D(2025, 2, 7), 15), id="grace-ends-first"),
        pytest.param(30, at(D(2025, 2, 1), 15), at(D(2025, 2, 28), 0), id="capped-at-the-deadline-day"),
        pytest.param(30, at(D(2025, 2, 28), 15), at(D(2025, 2, 28), 15), id="deadline-day-runs-at-once"),
        pytest.param(30, at(D(2025, 3, 5), 15), at(D(2025, 3, 5), 15), id="overdue-runs-at-once"),
        pytest.param(0, at(D(2025, 2, 1), 15), at(D(2025, 2, 1), 15), id="no-grace"),
    ],
)
def test_erasure_execution_at(app, grace, now, expected):
    tenant = make_tenant(regime="gdpr", country="GB", grace_days=grace)
    request = working(tenant, D(2025, 1, 31), type="erasure")   # due Fri 28 Feb
    assert lifecycle.erasure_execution_at(request, tenant, now) == expected


def test_erasure_execution_uses_the_extended_deadline(app):
    tenant = make_tenant(regime="gdpr", country="GB", grace_days=30)
    request = working(tenant, D(2025, 1, 31), type="erasure")
    lifecycle.extend(request, "user:1", "many systems", now=at(D(2025, 2, 3)))
    assert lifecycle.erasure_execution_at(request, tenant, at(D(2025, 2, 3))) == at(D(2025, 3, 5))


def test_schedule_erasure_sets_the_time_and_cancel_calls_it_off(app):
    tenant = make_tenant(regime="gdpr", country="GB", grace_days=30)
    request = working(tenant, D(2025, 1, 31), type="erasure")
    lifecycle.schedule_erasure(request, "user:1", now=at(D(2025, 2, 1)))
    assert (request.status, request.erasure_at) == ("scheduled", at(D(2025, 2, 28), 0))
    lifecycle.cancel(request, "user:1", "subject changed their mind")
    assert (request.status, request.outcome, request.erasure_at) == ("withdrawn", "withdrawn", None)
    access = working(tenant, D(2025, 1, 31))
    with pytest.raises(Conflict, match="only an erasure"):
        lifecycle.schedule_erasure(access, "user:1")


# --- creation and manual entry ----------------------------------------------------------------------


def test_manual_entry_starts_unverified_on_its_date_of_receipt(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    request = lifecycle.enter_request(tenant, type="access", channel="post", received_at=at(D(2025, 1, 31)),
                                      subject=Subject(name="Ada Lovelace", details="12 High St"), actor="token:7")
    assert (request.status, request.channel, request.due_date) == ("unverified", "post", D(2025, 2, 28))
    assert request.subject_email_hash is None
    assert lifecycle.subject_of(request) == Subject(name="Ada Lovelace", details="12 High St")
    [event] = events(request, "request_received")
    assert event.actor == "token:7" and event.payload["received_at"].startswith("2025-01-31")


def test_manual_entry_verified_by_staff_with_a_reason(app):
    tenant = make_tenant()
    request = lifecycle.enter_request(tenant, type="erasure", channel="in_person", received_at=at(D(2025, 3, 3)),
                                      subject=Subject(email="a@example.com"), actor="token:7",
                                      verified=True, verification_reason="passport seen at the desk")
    assert request.status == "verified" and request.verified_at is not None
    assert events(request, "verify")[0].reason == "passport seen at the desk"
    with pytest.raises(ValidationError) as error:
        lifecycle.enter_request(tenant, type="erasure", channel="phone", received_at=at(D(2025, 3, 3)),
                                subject=Subject(email="a@example.com"), actor="token:7", verified=True)
    assert error.value.details["field"] == "verification_reason"


def test_manual_opt_out_needs_no_verification(app):
    tenant = make_tenant()
    request = lifecycle.enter_request(tenant, type="opt_out", channel="phone", received_at=at(D(2025, 3, 3)),
                                      subject=Subject(phone="+44 20 7946 0000"), actor="token:7")
    assert request.status == "verified"


@pytest.mark.parametrize(("fields", "field"), [
    ({"channel": "portal"}, "channel"),
    ({"channel": "fax"}, "channel"),
    ({"type": "delete"}, "type"),
    ({"regime": "hipaa"}, "regime"),
    ({"regime": "policy"}, "regime"),   # the tenant has no policy days
    ({"received_at": FromNow(days=30)}, "received_at"),
    ({"received_at": datetime(2025, 3, 3, 10, 0)}, "received_at"),
    ({"subject": Subject(details="no identifier at all")}, "subject"),
])
def test_manual_entry_refuses_bad_input_naming_the_field(app, fields, field):
    tenant = make_tenant()
    arguments = {"type": "access", "channel": "email", "received_at": at(D(2025, 3, 3)),
                 "subject": Subject(email="a@example.com"), "actor": "token:7", **resolve(fields)}
    with pytest.raises(ValidationError) as error:
        lifecycle.enter_request(tenant, **arguments)
    assert error.value.details["field"] == field
    assert db.session.execute(select(RightsRequest)).first() is None


# --- the other actions and the audit trail ----------------------------------------------------------


def test_every_transition_is_an_audit_event_with_actor_and_reason(app):
    tenant = make_tenant()
    request = new_request(tenant, D(2025, 3, 3))
    lifecycle.verify(request, "user:5", reason="called back on the number on file")
    lifecycle.approve(request, "user:5")
    lifecycle.complete(request, "user:5", outcome="complied_in_part")
    db.session.commit()
    kinds = db.session.execute(select(AuditEvent.kind, AuditEvent.actor, AuditEvent.reason)
                               .where(AuditEvent.request_id == request.id).order_by(AuditEvent.id)).all()
    assert [tuple(k) for k in kinds] == [
        ("request_received", "subject", None),
        ("verify", "user:5", "called back on the number on file"),
        ("approve", "user:5", None),
        ("complete", "user:5", None),
    ]
    assert (request.status, request.outcome) == ("completed", "complied_in_part")
    assert request.completed_at is not None


def test_staff_verification_needs_a_reason_the_subject_does_not(app):
    tenant = make_tenant()
    request = new_request(tenant, D(2025, 3, 3))
    for actor in ("user:5", "token:3"):
        with pytest.raises(ValidationError):
            lifecycle.verify(request, actor)
    lifecycle.verify(request, "subject")
    assert request.status == "verified"


def test_deny_records_the_reason_and_tells_the_subject_the_message(app):
    tenant = make_tenant()
    request = new_request(tenant, D(2025, 3, 3))
    with pytest.raises(ValidationError):
        lifecycle.deny(request, "user:1", "")
    lifecycle.deny(request, "user:1", " manifestly unfounded: the fifth identical request this month ",
                   message="This is the fifth identical request this month.")
    assert (request.status, request.outcome) == ("denied", "denied")
    assert request.denial_reason == "manifestly unfounded: the fifth identical request this month"
    [text] = messages(request, "denied")
    assert "This is the fifth identical request this month." in text and "manifestly unfounded:" not in text
    with pytest.raises(Conflict, match="cannot approve a request that is denied"):
        lifecycle.approve(request, "user:1")


def test_complete_refuses_an_outcome_that_is_not_fulfilment(app):
    tenant = make_tenant()
    request = working(tenant, D(2025, 3, 3))
    with pytest.raises(ValidationError):
        lifecycle.complete(request, "user:1", outcome="denied")
    assert request.status == "in_progress"


def test_assign_only_to_staff_of_the_same_tenant(app):
    tenant, other = make_tenant(), make_tenant()
    mine, stranger = make_user(tenant), make_user(other)
    request = new_request(tenant, D(2025, 3, 3))
    with pytest.raises(ValidationError):
        lifecycle.assign(request, stranger, "user:1")
    lifecycle.assign(request, mine, "user:1")
    assert request.assignee_id == mine.id


def test_legal_hold_needs_a_reason_and_is_lifted_clean(app):
    tenant = make_tenant()
    request = new_request(tenant, D(2025, 3, 3))
    with pytest.raises(ValidationError):
        lifecycle.set_legal_hold(request, "user:1", on=True)
    lifecycle.set_legal_hold(request, "user:1", on=True, reason=" litigation pending ")
    assert (request.legal_hold, request.legal_hold_reason) == (True, "litigation pending")
    lifecycle.set_legal_hold(request, "user:1", on=False, reason="settled")
    assert (request.legal_hold, request.legal_hold_reason) == (False, None)
