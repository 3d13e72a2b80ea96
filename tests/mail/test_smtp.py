"""SMTP delivery through a real server on loopback, and what happens when it is down."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.jobs.registry import JobContext, get_job
from dsar.models import OutboxMessage, RightsRequest, utcnow
from tests.conftest import environ_for
from tests.factories import make_tenant
from tests.mail.conftest import SmtpServer


@pytest.fixture
def app_environ(database_url, instance, smtp_port):
    return environ_for(database_url, instance, DSAR_MAIL_BACKEND="smtp", DSAR_SMTP_HOST="127.0.0.1",
                       DSAR_SMTP_PORT=str(smtp_port), DSAR_MAIL_FROM="privacy@acme.test")


def _submit(client, email="Alice.Smith@Example.COM"):
    response = client.post("/api/v1/tenants/acme/requests",
                           json={"type": "access", "email": email, "name": "Alice Smith"})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["reference"]


def _outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_the_verification_message_reaches_a_real_smtp_server(client, smtp_server):
    make_tenant("acme", name="Acme Chat")
    reference = _submit(client)

    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["Alice.Smith@example.com"]
    assert mail.message["To"] == "Alice.Smith@example.com"
    assert mail.message["Subject"] == f"Confirm your privacy request {reference}"
    assert mail.message["From"] == "Acme Chat <privacy@acme.test>" and not mail.encrypted
    text, html = mail.part("plain"), mail.part("html")
    code = re.search(r"^\s+(\d{6})$", text, re.M).group(1)
    link = re.search(r"http://localhost/t/acme/verify/[A-Za-z0-9_-]{40,}", text).group(0)
    assert code in html and link in html and "Hello Alice Smith," in text

    [row] = _outbox()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)

    # What the message says works: the link opens the confirmation page, the code verifies.
    assert client.get(link.removeprefix("http://localhost")).status_code == 200
    verified = client.post(f"/api/v1/requests/{reference}/verify", json={"code": code})
    assert verified.status_code == 200 and verified.get_json()["status"] == "verified"
    assert [m.message["Subject"] for m in smtp_server.received][1] == f"We have your request {reference}"


def test_smtp_down_keeps_request_and_message_pending_until_the_job_delivers(client, smtp_port):
    make_tenant("acme", name="Acme Chat")
    before = utcnow()
    reference = _submit(client)

    request = db.session.execute(select(RightsRequest).where(RightsRequest.reference == reference)).scalar_one()
    assert request.status == "unverified"
    [row] = _outbox()
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error.startswith(f"SMTP 127.0.0.1:{smtp_port}: ConnectionRefusedError")
    assert "example.com" not in row.last_error
    assert before + timedelta(seconds=50) < row.next_attempt_at < utcnow() + timedelta(seconds=70)

    server = SmtpServer(smtp_port).start()
    try:
        send_mail = get_job("send-mail").func
        not_yet = JobContext(now=utcnow())
        send_mail(not_yet)
        assert server.received == [] and not_yet.stats.get("sent", 0) == 0

        dry = JobContext(now=utcnow() + timedelta(minutes=2), dry_run=True)
        send_mail(dry)
        assert dry.stats == {"due": 1} and server.received == []

        later = JobContext(now=utcnow() + timedelta(minutes=2))
        send_mail(later)
        assert later.stats["sent"] == 1
        [mail] = server.received
        assert mail.message["Subject"] == f"Confirm your privacy request {reference}"
        [row] = _outbox()
        assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)

        again = JobContext(now=utcnow() + timedelta(minutes=10))
        send_mail(again)  # sent messages are never sent twice
        assert len(server.received) == 1 and again.stats.get("sent", 0) == 0
    finally:
        server.stop()
