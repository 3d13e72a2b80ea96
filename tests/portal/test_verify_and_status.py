"""From the message to the status page: the link, the code form, withdrawal, cancelling an erasure."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from dsar.extensions import db
from dsar.models import utcnow
from dsar.services import lifecycle
from tests.factories import make_tenant
from tests.portal.helpers import last_mail, portal_submit, request_by_reference, reference_in



@pytest.fixture
def tenant(app):
    return make_tenant("acme", name="Acme Chat")


@pytest.fixture
def submitted(client, tenant):
    """A request submitted on the portal, and its verification message."""
    response = portal_submit(client, type="erasure")
    return reference_in(response.data), last_mail("verification")


def test_opening_the_link_does_not_verify_pressing_the_button_does(client, submitted):
    reference, mail = submitted
    page = client.get(mail.verify_path)
    assert page.status_code == 200 and b"Confirm my request" in page.data
    assert request_by_reference(reference).status == "unverified"  # mail scanners fetch links
    response = client.post(mail.verify_path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/r/{reference}?t=")
    assert request_by_reference(reference).status == "verified"
    status = client.get(response.headers["Location"])
    assert b"Thank you: your e-mail address is confirmed." in status.data
    # Single use: the same link now explains it does not work any more.
    for method in (client.get, client.post):
        again = method(mail.verify_path)
        assert again.status_code == 410 and b"does not work any more" in again.data


def test_a_link_under_another_tenants_portal_does_not_work(client, submitted):
    make_tenant("other")
    _, mail = submitted
    assert client.get(mail.verify_path.replace("/t/acme/", "/t/other/")).status_code == 410
    assert client.get("/t/acme/verify/made-up-token").status_code == 410


def test_the_code_form(client, submitted):
    reference, mail = submitted
    page = client.get(f"/t/acme/confirm?reference={reference}").data.decode()
    assert f'value="{reference}"' in page and 'autocomplete="one-time-code"' in page

    wrong = f"{(int(mail.code) + 1) % 1_000_000:06d}"
    response = client.post("/t/acme/confirm", data={"reference": reference, "code": wrong})
    assert response.status_code == 400
    assert re.search(r'id="code-error">This code is not right. You have 4 more attempts.<', response.data.decode())

    response = client.post("/t/acme/confirm", data={"reference": reference.lower(), "code": mail.code})
    assert response.status_code == 302 and request_by_reference(reference).status == "verified"


@pytest.mark.parametrize("data, field", [
    ({"reference": "", "code": "123456"}, "reference"),
    ({"reference": "DSR-AAAA-AAAA", "code": ""}, "code"),
    ({"reference": "DSR-AAAA-AAAA", "code": "12345"}, "code"),
    ({"reference": "DSR-AAAA-AAAA", "code": "abcdef"}, "code"),
    ({"reference": "DSR-AAAA-AAAA" * 3, "code": "123456"}, "reference"),
])
def test_the_code_form_names_bad_fields(client, tenant, data, field):
    response = client.post("/t/acme/confirm", data=data)
    assert response.status_code == 400 and f'id="{field}-error"' in response.data.decode()


def test_an_unknown_reference_and_a_dead_code_get_the_same_answer(client, submitted):
    reference, mail = submitted
    unknown = client.post("/t/acme/confirm", data={"reference": "DSR-0000-0000", "code": mail.code})
    wrong = f"{(int(mail.code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post("/t/acme/confirm", data={"reference": reference, "code": wrong})
    dead = client.post("/t/acme/confirm", data={"reference": reference, "code": mail.code})
    assert unknown.status_code == dead.status_code == 400
    error = re.compile(r'id="code-error">(.*?)</p>', re.S)
    assert error.search(unknown.data.decode()).group(1) == error.search(dead.data.decode()).group(1)
    assert "not valid any more" in error.search(dead.data.decode()).group(1)
    assert request_by_reference(reference).status == "unverified"


def test_a_declaration_asked_for_after_the_code(client, tenant):
    tenant.settings = {"strong_verification": {"access": {"declaration": True}}}
    db.session.commit()
    reference = reference_in(portal_submit(client, regime="ccpa").data)
    code = last_mail("verification").code
    first = client.post("/t/acme/confirm", data={"reference": reference, "code": code})
    page = first.data.decode()
    # Californian wording under the CCPA (regs §7062) ...
    assert first.status_code == 400 and 'id="declaration-error"' in page and "penalty of perjury" in page
    done = client.post("/t/acme/confirm", data={"reference": reference, "code": code, "declaration": "y"})
    assert done.status_code == 302 and request_by_reference(reference).status == "verified"


def test_the_declaration_on_the_link_page(client, tenant):
    tenant.settings = {"strong_verification": {"access": {"declaration": True}}}
    db.session.commit()
    reference = reference_in(portal_submit(client).data)
    path = last_mail("verification").verify_path
    page = client.get(path).get_data(as_text=True)  # ... and a plain confirmation under the GDPR
    assert "penalty of perjury" not in page
    assert "I confirm that I am the person this request is about, or authorised to act for them" in page
    assert client.post(path).status_code == 400
    assert client.post(path, data={"declaration": "y"}).status_code == 302
    assert request_by_reference(reference).status == "verified"


# --- the status page ------------------------------------------------------------------------


def test_the_status_page_needs_the_secret_from_the_message(client, submitted):
    reference, mail = submitted
    page = client.get(mail.status_path)
    assert page.status_code == 200
    text = page.data.decode()
    assert "Waiting for you to confirm your e-mail address" in text and "Received" in text
    assert "We answer by" in text and 'name="t"' in text
    assert client.get(f"/r/{reference}").status_code == 404
    assert client.get(f"/r/{reference}?t=0123456789abcdef0123456789abcdef").status_code == 404
    assert client.get("/r/DSR-0000-0000?t=" + mail.status_path.split("t=")[1]).status_code == 404


def test_the_subject_withdraws(client, submitted):
    reference, mail = submitted
    token = mail.status_path.split("t=")[1]
    assert client.post(f"/r/{reference}/withdraw", data={"t": "wrong"}).status_code == 404
    response = client.post(f"/r/{reference}/withdraw", data={"t": token})
    assert response.status_code == 302
    request = request_by_reference(reference)
    assert (request.status, request.outcome) == ("withdrawn", "withdrawn")
    page = client.get(response.headers["Location"]).data.decode()
    assert "Your request is withdrawn." in page and "Withdraw my request" not in page


@pytest.mark.calendar
def test_cancelling_an_erasure_during_its_grace_period(client, submitted):
    reference, mail = submitted
    request = request_by_reference(reference)
    lifecycle.verify(request, "subject")
    lifecycle.approve(request, "user:1")
    lifecycle.schedule_erasure(request, "user:1")
    db.session.commit()
    assert request.status == "scheduled"
    page = client.get(mail.status_path).data.decode()
    assert "Erasure scheduled" in page and "Cancel the erasure" in page
    response = client.post(f"/r/{reference}/withdraw", data={"t": mail.status_path.split("t=")[1]})
    assert b"The erasure is cancelled." in client.get(response.headers["Location"]).data
    assert request_by_reference(reference).status == "withdrawn"


def test_withdrawing_needs_the_csrf_token(app, client, submitted):
    reference, mail = submitted
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/r/{reference}/withdraw", data={"t": mail.status_path.split("t=")[1]})
    assert response.status_code == 400
    assert request_by_reference(reference).status == "unverified"
    page = client.get(mail.status_path).data.decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/r/{reference}/withdraw", data={"t": mail.status_path.split("t=")[1],
                                                              "csrf_token": csrf})
    assert response.status_code == 302 and request_by_reference(reference).status == "withdrawn"


@pytest.mark.calendar
def test_a_closed_request_shows_no_withdraw_button(client, submitted):
    reference, mail = submitted
    request = request_by_reference(reference)
    request.received_at = utcnow() - timedelta(days=20)
    lifecycle.expire(request)
    db.session.commit()
    page = client.get(mail.status_path).data.decode()
    assert "Closed: never confirmed" in page and "Withdraw my request" not in page
