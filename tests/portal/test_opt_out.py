"""An opt-out takes effect at once (SPEC §4): on the suppression list at submission, completed,
the subject told, no staff step — from the portal, from the public API, and by the browser's
Global Privacy Control signal on the portal."""
from __future__ import annotations

import pytest

from dsar.services import suppressions
from tests.factories import make_tenant
from tests.portal.helpers import all_requests, mails, portal_submit


@pytest.fixture
def tenant(app):
    return make_tenant("acme", name="Acme Chat", regime="ccpa", country="US")


def _listed(tenant, **identifiers) -> list[str]:
    return suppressions.check(tenant.id, **identifiers).reasons


def test_a_portal_opt_out_is_listed_and_completed_at_submission(client, tenant):
    page = portal_submit(client, type="opt_out", email="Bob@Example.com", phone="+1 415 555 0100")
    assert page.status_code == 200
    assert "You are opted out" in page.data.decode() and "Enter the code" not in page.data.decode()
    [request] = all_requests()
    assert request.status == "completed" and request.outcome == "complied" and request.gpc is False
    assert request.result == {"suppression": {"kinds": ["email"], "reason": "opt_out"}}
    assert _listed(tenant, email="bob@example.com") == ["opt_out"]
    # The phone was only typed: a hint for staff, not a key to the list (SPEC §4).
    assert _listed(tenant, phone="+1 415 555 0100") == []
    [mail] = mails()
    assert mail.row.template == "completed" and mail.to == "Bob@example.com"
    assert "no more marketing" in mail.text


def test_an_api_opt_out_is_listed_and_completed_at_submission(client, tenant):
    answer = client.post("/api/v1/tenants/acme/requests", json={"type": "opt_out", "email": "carol@example.com"})
    assert answer.status_code == 202 and answer.json["status"] == "completed"
    [request] = all_requests()
    assert request.reference == answer.json["reference"] and request.status == "completed"
    assert request.channel == "api"
    assert _listed(tenant, email="carol@example.com") == ["opt_out"]
    assert [m.row.template for m in mails()] == ["completed"]


def test_other_api_requests_still_wait_for_the_proof(client, tenant):
    answer = client.post("/api/v1/tenants/acme/requests", json={"type": "objection", "email": "dan@example.com"})
    assert answer.status_code == 202 and answer.json["status"] == "unverified"
    assert _listed(tenant, email="dan@example.com") == []
    assert [m.row.template for m in mails()] == ["verification"]


def test_gpc_on_another_portal_request_opts_the_address_out_as_well(client, tenant):
    page = portal_submit(client, type="access", email="erin@example.com", headers={"Sec-GPC": "1"})
    assert page.status_code == 200
    assert "Global Privacy Control signal: we have also opted this address out" in page.data.decode()
    access, opt_out = sorted(all_requests(), key=lambda r: r.id)
    assert (access.type, access.status) == ("access", "unverified")  # the access request still needs proof
    assert (opt_out.type, opt_out.status, opt_out.gpc) == ("opt_out", "completed", True)
    assert _listed(tenant, email="erin@example.com") == ["opt_out"]
    assert sorted(m.row.template for m in mails()) == ["completed", "verification"]


def test_without_gpc_another_request_opts_nobody_out(client, tenant):
    portal_submit(client, type="access", email="finn@example.com")
    assert [r.type for r in all_requests()] == ["access"]
    assert _listed(tenant, email="finn@example.com") == []


def test_a_refused_opt_out_lists_nothing(client, tenant):
    page = portal_submit(client, type="opt_out", email="not an address")
    assert page.status_code == 400 and all_requests() == []
    assert 'id="email-error"' in page.data.decode()
