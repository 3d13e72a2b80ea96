"""The transactional outbox: written with the request, encrypted, sent after commit, retried."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dsar.extensions import db
from dsar.keyring import keyring
from dsar.mail import outbox
from dsar.mail.backends import DeliveryError, redact
from dsar.mail.messages import RenderedMessage
from dsar.models import OutboxMessage, utcnow
from tests.factories import make_tenant



class Failing:
    name, delivered_status = "failing", "sent"

    def __init__(self):
        self.calls = 0

    def send(self, envelope):
        self.calls += 1
        raise DeliveryError(f"550 mailbox {envelope.to} is full")


class Recording:
    name, delivered_status = "recording", "sent"

    def __init__(self):
        self.sent = []

    def send(self, envelope):
        self.sent.append(envelope)


MESSAGE = RenderedMessage(subject="Hello", text="Your code is 123456\n", html="<p>Your code is 123456</p>")


def _queue(tenant, to="carol@example.com"):
    return outbox.queue(tenant.id, "verification", to, MESSAGE)


def test_the_default_backend_keeps_messages_encrypted_in_the_database(client):
    make_tenant("acme")
    client.post("/t/acme/requests", data={"type": "access", "email": "dan@example.com", "regime": "gdpr"})
    row = db.session.execute(select(OutboxMessage)).scalar_one()
    assert row.status == "kept" and row.sent_at is not None and row.attempts == 1
    assert row.template == "verification" and row.request_id is not None
    assert "dan@example.com" not in row.to_enc and "dan@example.com" not in (row.body_text_enc or "")
    assert keyring().decrypt_text(row.to_enc) == "dan@example.com"
    assert "enter this code" in keyring().decrypt_text(row.body_text_enc)
    assert "<html" in keyring().decrypt_text(row.body_html_enc)


def test_a_rolled_back_transaction_sends_nothing(app):
    tenant = make_tenant()
    _queue(tenant)
    db.session.rollback()
    db.session.commit()
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


@pytest.mark.calendar
def test_failures_back_off_and_end_as_failed(app):
    tenant = make_tenant()
    message_id = _queue(tenant).id
    db.session.commit()  # after-commit delivery: outbox backend, so it is kept
    db.session.execute(OutboxMessage.__table__.update().values(status="pending", attempts=0, sent_at=None))
    db.session.commit()

    backend, now, delays = Failing(), utcnow(), []
    for _ in range(outbox.MAX_ATTEMPTS):
        assert outbox.deliver([message_id], now=now, backend=backend) == {"sent": 0, "failed": 1, "skipped": 0}
        row = db.session.get(OutboxMessage, message_id)
        db.session.refresh(row)
        if row.status == "failed":
            break
        delays.append(row.next_attempt_at - now)
        # Not due yet: a second delivery right away does nothing.
        assert outbox.deliver([message_id], now=now, backend=backend)["skipped"] == 1
        now = row.next_attempt_at
    assert backend.calls == outbox.MAX_ATTEMPTS
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS and row.next_attempt_at is None
    assert row.last_error == "550 mailbox <address> is full"
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)] and delays[-1] == timedelta(hours=6)
    # A failed message is left for staff; the job no longer tries it.
    assert outbox.deliver([message_id], now=now + timedelta(days=1), backend=backend)["skipped"] == 1


def test_a_claimed_message_is_not_sent_twice(app):
    tenant = make_tenant()
    message_id = _queue(tenant).id
    db.session.info.pop("dsar.outbox.new")  # as if another worker were delivering it
    db.session.commit()
    backend, now = Recording(), utcnow()
    assert outbox.deliver([message_id, message_id], now=now, backend=backend) == {
        "sent": 1, "failed": 0, "skipped": 1}
    assert [e.to for e in backend.sent] == ["carol@example.com"]
    assert backend.sent[0].text == MESSAGE.text and backend.sent[0].html == MESSAGE.html


def test_the_job_respects_the_tenant_scope(app):
    from dsar.jobs.registry import JobContext, get_job

    acme, other = make_tenant(), make_tenant()
    for tenant in (acme, other):
        _queue(tenant)
    db.session.info.pop("dsar.outbox.new")
    db.session.commit()
    ctx = JobContext(now=utcnow(), tenant_id=acme.id)
    get_job("send-mail").func(ctx)
    statuses = dict(db.session.execute(select(OutboxMessage.tenant_id, OutboxMessage.status)).all())
    assert ctx.stats["sent"] == 1 and statuses == {acme.id: "kept", other.id: "pending"}


@pytest.mark.parametrize("text, expected", [
    ("550 5.1.1 <bob@example.com>: Recipient address rejected", "550 5.1.1 <<address>>: Recipient address rejected"),
    ("no address here", "no address here"),
    ("to=first.last+tag@sub.example.co.uk failed", "to=<address> failed"),
])
def test_errors_are_stored_without_addresses(text, expected):
    assert redact(text) == expected
