"""Back to one's request without the e-mailed link (SPEC §4): reference and address in, a new
status link by e-mail to the request's own address; the same answer for unknown ones."""
from __future__ import annotations

import pytest

from dsar import create_app
from dsar.jobs.runner import run_job
from tests.factories import make_tenant
from tests.portal.helpers import STATUS_LINK, mails, portal_submit, reference_in


@pytest.fixture
def tenant(app):
    return make_tenant("acme", name="Acme Chat")


@pytest.fixture
def reference(client, tenant):
    return reference_in(portal_submit(client, email="ines@example.com").data)


def _find(client, **data):
    return client.post("/t/acme/find", data=data)


def test_the_right_reference_and_address_get_a_new_link(client, reference):
    answer = _find(client, reference=reference.lower(), email="Ines@example.com")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/t/acme/find?sent=1")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "If the reference and the address belong to a request, we have sent the link" in page
    mail = mails("status_link")[-1]
    assert mail.to == "ines@example.com" and mail.subject == f"The link to your request {reference}"
    status = STATUS_LINK.search(mail.text).group(1)
    assert client.get(status).status_code == 200


def test_the_link_waits_for_the_send_mail_job_so_the_answer_takes_as_long_either_way(client, reference):
    _find(client, reference=reference, email="ines@example.com")
    (waiting,) = mails("status_link")
    assert waiting.row.status == "pending"  # nothing sent inside the request
    run = run_job("send-mail")
    assert run.status == "succeeded", run.error
    (sent,) = mails("status_link")
    assert sent.row.status == "kept"  # delivered (the tests' backend is the local outbox)


@pytest.mark.parametrize("data", [{"reference": "DSR-0000-0000", "email": "ines@example.com"},
                                  {"email": "someone.else@example.com"}])
def test_a_wrong_reference_or_address_gets_the_same_answer_and_no_mail(client, reference, data):
    right = _find(client, reference=reference, email="ines@example.com")
    wrong = _find(client, **{"reference": reference, **data})
    assert (wrong.status_code, wrong.headers["Location"]) == (right.status_code, right.headers["Location"])
    assert len(mails("status_link")) == 1  # only the right one was sent


@pytest.mark.parametrize("data, field", [({"reference": "", "email": "ines@example.com"}, "reference"),
                                         ({"reference": "R" * 21, "email": "ines@example.com"}, "reference"),
                                         ({"reference": "DSR-0000-0000", "email": "nope"}, "email"),
                                         ({"reference": "DSR-0000-0000", "email": ""}, "email")])
def test_bad_fields_are_named(client, tenant, data, field):
    answer = _find(client, **data)
    assert answer.status_code == 400
    assert f'id="{field}-error"' in answer.get_data(as_text=True)
    assert mails("status_link") == []


def test_the_form_is_linked_from_the_portal(client, tenant):
    assert 'href="/t/acme/find"' in client.get("/t/acme/").get_data(as_text=True)
    assert client.get("/t/acme/find").status_code == 200


def test_finding_is_rate_limited(app, app_environ, instance):
    limited = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True},
                         environ={**app_environ, "DSAR_INTAKE_RATE_LIMIT": "3/minute"}, instance_path=str(instance))
    make_tenant("acme")
    client = limited.test_client()
    codes = [client.post("/t/acme/find", data={"reference": f"DSR-0000-000{n}", "email": "a@example.com"}).status_code
             for n in range(4)]
    assert codes == [303, 303, 303, 429]
