"""Staff never read what acts for the subject (issue 13 finding 3).

The verification code and the verification, status and download links let whoever reads
them act as the subject. No staff role sees them in /dashboard/outbox/<id>; once a real
mail server has the message, the stored copy keeps none of them; with the local outbox
backend only an admin sees them, marked as such.
"""
import re

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import OutboxMessage, OutboxSecret
from tests.conftest import environ_for
from tests.dashboard.factories import sign_in
from tests.factories import make_tenant, make_user


def submit(client) -> OutboxMessage:
    response = client.post("/api/v1/tenants/acme/requests",
                           json={"type": "access", "email": "sam@example.com", "name": "Sam"})
    assert response.status_code == 202
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).where(OutboxMessage.template == "verification")).scalar_one()


def secrets_in(text: str) -> list[str]:
    """The code and the token-bearing links a verification message holds."""
    return re.findall(r"\b\d{6}\b|/verify/[A-Za-z0-9_-]{20,}|[?&]t=[A-Za-z0-9_-]{20,}", text)


def page_of(app, tenant, role, message):
    staff = app.test_client()
    sign_in(staff, make_user(tenant, role), tenant)
    response = staff.get(f"/dashboard/outbox/{message.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


class TestLocalOutbox:
    @pytest.mark.parametrize("role", ["dpo", "agent", "auditor"])
    def test_no_staff_role_but_admin_sees_codes_or_links(self, app, client, role):
        tenant = make_tenant("acme")
        message = submit(client)
        sent = keyring().decrypt_text(message.body_text_enc)
        assert secrets_in(sent)  # the subject's copy has them
        page = page_of(app, tenant, role, message)
        assert secrets_in(page) == [] and "[hidden: acts for the recipient]" in page
        assert 'id="secrets-shown"' not in page

    def test_an_admin_of_a_local_deployment_sees_them_marked(self, app, client):
        tenant = make_tenant("acme")
        message = submit(client)
        page = page_of(app, tenant, "admin", message)
        assert secrets_in(page) and 'id="secrets-shown"' in page
        assert "[local outbox only, acts for the recipient:" in page


@pytest.fixture
def app_environ(request, database_url, instance):
    if "smtp_port" not in request.fixturenames:
        return environ_for(database_url, instance)
    port = request.getfixturevalue("smtp_port")
    return environ_for(database_url, instance, DSAR_MAIL_BACKEND="smtp", DSAR_SMTP_HOST="127.0.0.1",
                       DSAR_SMTP_PORT=str(port), DSAR_MAIL_FROM="privacy@acme.test")


class TestRealMail:
    def test_after_a_real_send_the_stored_copy_keeps_no_secret(self, app, client, smtp_port, smtp_server):
        tenant = make_tenant("acme")
        message = submit(client)
        [mail] = smtp_server.received
        assert secrets_in(mail.part("plain"))  # the subject got them
        db.session.refresh(message)
        assert message.status == "sent"
        ring = keyring()
        for stored in (ring.decrypt_text(message.body_text_enc), ring.decrypt_text(message.body_html_enc)):
            assert secrets_in(stored) == [] and "[hidden: acts for the recipient]" in stored
        assert db.session.get(OutboxSecret, message.id) is None
        page = page_of(app, tenant, "admin", message)
        assert secrets_in(page) == [] and 'id="secrets-shown"' not in page
