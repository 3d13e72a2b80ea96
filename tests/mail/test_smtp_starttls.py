"""SMTP with STARTTLS and a login, as most providers require."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.models import OutboxMessage
from tests.conftest import environ_for
from tests.factories import make_tenant
from tests.mail.conftest import SMTP_PASSWORD, SMTP_USER


@pytest.fixture
def app_environ(database_url, instance, smtp_port):
    return environ_for(database_url, instance, DSAR_MAIL_BACKEND="smtp", DSAR_SMTP_HOST="127.0.0.1",
                       DSAR_SMTP_PORT=str(smtp_port), DSAR_SMTP_STARTTLS="on",
                       DSAR_SMTP_USERNAME=SMTP_USER, DSAR_SMTP_PASSWORD=SMTP_PASSWORD)


def test_starttls_and_login(client, tls_smtp_server):
    make_tenant("acme")
    response = client.post("/api/v1/tenants/acme/requests", json={"type": "erasure", "email": "eve@example.org"})
    assert response.status_code == 202
    [mail] = tls_smtp_server.received
    assert mail.encrypted and mail.authenticated_as == SMTP_USER and mail.rcpt_tos == ["eve@example.org"]
    assert db.session.execute(select(OutboxMessage.status)).scalar_one() == "sent"


def test_a_wrong_password_leaves_the_message_pending(app, client, tls_smtp_server):
    app.config["DSAR_SMTP_PASSWORD"] = "not the password"
    make_tenant("acme")
    assert client.post("/api/v1/tenants/acme/requests",
                       json={"type": "erasure", "email": "eve@example.org"}).status_code == 202
    assert tls_smtp_server.received == []
    row = db.session.execute(select(OutboxMessage)).scalar_one()
    assert row.status == "pending" and "SMTPAuthenticationError" in row.last_error
