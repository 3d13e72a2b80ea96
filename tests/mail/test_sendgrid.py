"""SendGrid through its official library, against a local HTTP server standing in for the API."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.models import OutboxMessage
from tests.conftest import environ_for
from tests.factories import make_tenant

API_KEY = "SG.test-key"


@pytest.fixture
def app_environ(database_url, instance, httpserver):
    return environ_for(database_url, instance, DSAR_MAIL_BACKEND="sendgrid", DSAR_SENDGRID_API_KEY=API_KEY,
                       DSAR_SENDGRID_HOST=httpserver.url_for("/").rstrip("/"), DSAR_MAIL_FROM="privacy@acme.test")


def test_the_library_posts_the_message_to_v3_mail_send(client, httpserver):
    httpserver.expect_request("/v3/mail/send", method="POST").respond_with_data("", status=202)
    make_tenant("acme", name="Acme Chat")
    response = client.post("/api/v1/tenants/acme/requests",
                           json={"type": "portability", "email": "bob@example.net", "name": "Bob"})
    reference = response.get_json()["reference"]

    [(sent, _)] = httpserver.log
    assert sent.path == "/v3/mail/send" and sent.headers["Authorization"] == f"Bearer {API_KEY}"
    body = sent.get_json()
    assert body["personalizations"][0]["to"] == [{"email": "bob@example.net"}]
    assert body["from"] == {"email": "privacy@acme.test", "name": "Acme Chat"}
    assert body["subject"] == f"Confirm your privacy request {reference}"
    content = {part["type"]: part["value"] for part in body["content"]}
    code = re.search(r"^\s+(\d{6})$", content["text/plain"], re.M).group(1)
    assert code in content["text/html"] and "/t/acme/verify/" in content["text/html"]
    assert db.session.execute(select(OutboxMessage.status)).scalar_one() == "sent"


def test_an_api_error_leaves_the_message_pending_with_the_reason(client, httpserver):
    httpserver.expect_request("/v3/mail/send", method="POST").respond_with_json(
        {"errors": [{"message": "The provided authorization grant is invalid"}]}, status=401)
    make_tenant("acme")
    assert client.post("/api/v1/tenants/acme/requests",
                       json={"type": "access", "email": "bob@example.net"}).status_code == 202
    row = db.session.execute(select(OutboxMessage)).scalar_one()
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error.startswith("SendGrid answered 401") and "authorization grant" in row.last_error
