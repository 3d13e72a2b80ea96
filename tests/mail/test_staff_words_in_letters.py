"""A reason staff record goes into a letter only when they wrote it for the subject: the
optional "Message to the subject" of the completion, denial and extension forms."""
from __future__ import annotations

import pytest

from dsar.extensions import db
from dsar.models import RightsRequest
from tests.dashboard.factories import act, make_request, signed_in_staff, staff_tenant
from tests.portal.helpers import mails

INTERNAL = "Subject is the CEO's ex, handle with care"


@pytest.fixture
def tenant(app):
    return staff_tenant("shop")


@pytest.fixture
def dpo(tenant, client):
    return signed_in_staff(client, tenant, "dpo")


def _verified(tenant, client, type="access"):
    request = make_request(tenant, type, name=None)
    act(client, request, "verify", reason="ID seen at the counter")
    return request


def _letter(template: str):
    [mail] = [m for m in mails() if m.row.template == template]
    return mail


def test_an_extension_letter_keeps_the_internal_reason_out(client, tenant, dpo):
    request = _verified(tenant, client)
    act(client, request, "extend", reason=INTERNAL, message="We are still searching our archive for your data.")
    text = _letter("extended").text
    assert INTERNAL not in text and "We are still searching our archive for your data." in text
    assert text.startswith("Hello,\n")


def test_an_extension_without_a_message_says_only_what_the_law_allows(client, tenant, dpo):
    request = _verified(tenant, client)
    act(client, request, "extend", reason=INTERNAL)
    text = _letter("extended").text
    assert INTERNAL not in text and "The law allows this extension" in text


def test_a_denial_sends_the_message_or_the_chosen_template_never_the_free_reason(client, tenant, dpo):
    first, second, third = (_verified(tenant, client) for _ in range(3))
    act(client, first, "deny", reason=INTERNAL, message="We hold no account under this address.")
    act(client, second, "deny", template="manifestly_unfounded", reason="")
    act(client, third, "deny", reason=INTERNAL)
    letters = {m.row.request_id: m.text for m in mails() if m.row.template == "denied"}
    assert "We hold no account under this address." in letters[first.id] and INTERNAL not in letters[first.id]
    assert "manifestly unfounded or excessive" in letters[second.id]
    assert INTERNAL not in letters[third.id] and "we will explain them" in letters[third.id]
    db.session.expire_all()
    assert db.session.get(RightsRequest, third.id).denial_reason == INTERNAL  # recorded (CCPA §7101)


def test_mark_completed_with_a_message_tells_the_subject(client, tenant, dpo):
    quiet, told = _verified(tenant, client, "rectification"), _verified(tenant, client, "rectification")
    act(client, quiet, "complete", outcome="complied")
    act(client, told, "complete", outcome="complied", message="We corrected your delivery address.")
    [letter] = [m for m in mails() if m.row.template == "completed"]
    assert letter.row.request_id == told.id and "We corrected your delivery address." in letter.text


@pytest.mark.parametrize("action, form", [("extend", {"reason": "x"}), ("deny", {"reason": "x"}),
                                          ("complete", {"outcome": "complied"})])
def test_a_message_too_long_is_refused_naming_the_field(client, tenant, dpo, action, form):
    request = _verified(tenant, client)
    act(client, request, action, message="m" * 5001, **form)
    page = client.get(f"/dashboard/requests/{request.reference}").get_data(as_text=True)
    assert "the message to the subject is longer than 5000 characters" in page
    db.session.expire_all()
    assert db.session.get(RightsRequest, request.id).status == "verified"
