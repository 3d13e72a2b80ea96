"""The portal page and its form: the rights explained, every field's bad cases, honeypot, GPC."""
from __future__ import annotations

import re

import pytest

from dsar.domain.request_states import REQUEST_TYPES
from dsar.keyring import keyring
from tests.factories import make_tenant
from tests.portal.helpers import all_requests, mails, portal_submit, reference_in


@pytest.fixture
def tenant(app):
    return make_tenant("acme", name="Acme Chat", regime="ccpa", country="US")


def test_the_page_explains_all_eight_rights_with_their_article(client, tenant):
    page = client.get("/t/acme/").data.decode()
    for article in ("Art. 15", "Art. 20", "Art. 17", "Art. 16", "Art. 18", "Art. 21", "Art. 7(3)", "§1798.120"):
        assert article in page
    for n, value in enumerate(REQUEST_TYPES):
        # each choice is labelled and described by its explanation
        assert f'id="type-{n}"' in page and f'value="{value}"' in page
        assert f'<label class="choice" for="type-{n}">' in page
        assert f'aria-describedby="type-{n}-hint"' in page and f'id="type-{n}-hint"' in page
    for field in ("email", "name", "phone", "customer_id", "details", "regime", "agent_name", "agent_email",
                  "agent_relationship", "is_agent"):
        assert f'for="{field}"' in page and f'id="{field}"' in page
    assert re.search(r'<option selected value="ccpa">|<option value="ccpa" selected>', page)  # the tenant's regime
    assert 'checked' not in page.split('id="type"')[1].split("</fieldset>")[0]  # nothing chosen for them


def test_a_valid_submission_says_check_your_email(client, tenant):
    response = portal_submit(client, regime="ccpa", phone="+1 555 0100", customer_id="A-77",
                             details="Since 2019", headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 200
    page = response.data.decode()
    assert "Check your e-mail" in page
    [request] = all_requests()
    assert reference_in(response.data) == request.reference
    assert (request.type, request.regime, request.channel, request.status) == ("access", "ccpa", "portal", "unverified")
    assert request.requester_ip == "127.0.0.1" and request.language == "en"
    assert [(m.row.template, m.to) for m in mails()] == [("verification", "alice@example.com")]
    assert response.headers["Cache-Control"] == "no-store"


def _field_error(response, field: str) -> str:
    page = response.data.decode()
    assert response.status_code == 400, page
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error element for {field}"
    return match.group(1)


@pytest.mark.parametrize("fields, field, words", [
    ({"email": None}, "email", "Enter your e-mail address"),
    ({"email": ""}, "email", "Enter your e-mail address"),
    ({"email": "alice.example.com"}, "email", "like name@example.com"),
    ({"email": "alice@"}, "email", "like name@example.com"),
    ({"email": "a" * 310 + "@example.com"}, "email", "at most 320"),
    ({"type": None}, "type", "Choose what you would like to do"),
    ({"type": "teleport"}, "type", "valid choice"),
    ({"regime": "mars"}, "regime", "valid choice"),
    ({"name": "n" * 201}, "name", "at most 200"),
    ({"phone": "1" * 41}, "phone", "at most 40"),
    ({"customer_id": "c" * 101}, "customer_id", "at most 100"),
    ({"details": "d" * 5001}, "details", "at most 5000"),
    ({"type": "rectification", "details": " "}, "details", "what is wrong"),
    ({"is_agent": "y", "agent_email": "pat@example.com", "agent_relationship": "parent"}, "agent_name", "agent"),
    ({"is_agent": "y", "agent_name": "Pat", "agent_email": "pat", "agent_relationship": "parent"},
     "agent_email", "like name@example.com"),
    ({"is_agent": "y", "agent_name": "Pat", "agent_email": "pat@example.com"}, "agent_relationship", "agent"),
    ({"is_agent": "y", "agent_name": "P" * 201, "agent_email": "pat@example.com", "agent_relationship": "x"},
     "agent_name", "at most 200"),
])
def test_every_bad_field_gets_its_own_error(client, tenant, fields, field, words):
    response = portal_submit(client, **fields)
    assert words in _field_error(response, field)
    page = response.data.decode()
    described = re.search(rf'<(?:input|select|textarea|fieldset)[^>]*\bid="{field}"[^>]*>', page).group(0)
    assert 'aria-describedby="' in described and f"{field}-error" in described
    assert 'aria-invalid="true"' in described
    assert 'role="alert"' in page and f'href="#{field}' in page  # the summary links to the field
    assert all_requests() == [] and mails() == []


def test_agent_fields_are_ignored_when_not_acting_as_agent(client, tenant):
    response = portal_submit(client, agent_email="not checked")
    assert response.status_code == 200
    assert all_requests()[0].agent_enc is None


def test_an_agent_request(client, tenant):
    assert portal_submit(client, is_agent="y", agent_name="Pat", agent_email="pat@example.com",
                         agent_relationship="power of attorney").status_code == 200
    [request] = all_requests()
    assert "power of attorney" in keyring().decrypt_text(request.agent_enc)
    assert [m.to for m in mails()] == ["alice@example.com"]


def test_an_unknown_tenant_is_404(client, tenant):
    assert client.get("/t/nobody/").status_code == 404
    assert portal_submit(client, slug="nobody").status_code == 404
    assert all_requests() == []


def test_a_filled_honeypot_gets_the_same_answer_but_nothing_happens(client, tenant):
    human = portal_submit(client)
    bot = portal_submit(client, website="http://spam.example")
    assert bot.status_code == human.status_code == 200
    assert reference_in(bot.data) != reference_in(human.data)
    assert bot.data.replace(reference_in(bot.data).encode(), b"REF") == \
        human.data.replace(reference_in(human.data).encode(), b"REF")
    assert len(all_requests()) == 1 and len(mails()) == 1
    assert '<div hidden>' in client.get("/t/acme/").data.decode()


def test_gpc_preselects_opt_out_and_is_recorded(client, tenant):
    page = client.get("/t/acme/", headers={"Sec-GPC": "1"}).data.decode()
    assert " checked " in re.search(r'<input[^>]*id="type-7"[^>]*>', page).group(0)
    assert "we have selected opting out for you" in page
    response = portal_submit(client, type="opt_out", headers={"Sec-GPC": "1"})
    assert response.status_code == 200
    [request] = all_requests()
    assert request.gpc is True and request.status == "completed"  # at once (SPEC §4)
    assert [m.row.template for m in mails()] == ["completed"]


def test_without_gpc_nothing_is_preselected_or_recorded(client, tenant):
    page = client.get("/t/acme/").data.decode()
    assert "we have selected opting out for you" not in page
    assert " checked " not in re.search(r'<input[^>]*id="type-7"[^>]*>', page).group(0)
    portal_submit(client, type="opt_out")
    assert all_requests()[0].gpc is False
