"""Intake (SPEC §4): what is stored, what is sent, and that it never looks at the tenant's data."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from dsar.errors import ValidationError
from dsar.extensions import db
from dsar.models import AuditEvent, VerificationChallenge
from dsar.services import intake, lifecycle
from dsar.services.intake import Agent, Submission
from tests.factories import make_tenant
from tests.portal.helpers import mails


@pytest.fixture
def tenant(app):
    return make_tenant("acme", name="Acme", regime="uk_gdpr")


def test_a_request_is_stored_encrypted_and_gets_the_verification_message(tenant):
    request = intake.submit(tenant, Submission(type="erasure", email="  Alice@EXAMPLE.com ", name=" Alice ",
                                               phone="+44 20 7946 0000", customer_id="", details="Old account"),
                            channel="api", language="fr", requester_ip="203.0.113.9")
    db.session.commit()
    assert (request.status, request.regime, request.channel, request.language) == (
        "unverified", "uk_gdpr", "api", "fr")
    assert request.requester_ip == "203.0.113.9" and request.gpc is False and request.acknowledged_at
    stored = " ".join(str(v) for v in (request.subject_email_enc, request.subject_name_enc, request.subject_data_enc))
    assert "Alice" not in stored and "example" not in stored and "7946" not in stored
    subject = lifecycle.subject_of(request)
    assert (subject.email, subject.name, subject.phone, subject.customer_id, subject.details) == (
        "Alice@example.com", "Alice", "+44 20 7946 0000", None, "Old account")
    [mail] = mails()
    assert (mail.row.template, mail.to, mail.row.request_id) == ("verification", "Alice@example.com", request.id)
    assert db.session.execute(select(VerificationChallenge.request_id)).scalar_one() == request.id


def test_an_authorised_agent_is_recorded_but_the_subject_proves_the_address(tenant):
    request = intake.submit(tenant, Submission(type="access", email="child@example.com",
                                               agent=Agent(" Pat Parent ", "pat@example.com", "parent")))
    db.session.commit()
    from dsar.keyring import keyring

    assert json.loads(keyring().decrypt_text(request.agent_enc)) == {
        "name": "Pat Parent", "email": "pat@example.com", "relationship": "parent"}
    assert [m.to for m in mails()] == ["child@example.com"]
    actor = db.session.execute(select(AuditEvent.actor).where(AuditEvent.kind == "request_received")).scalar_one()
    assert actor == "agent"


def test_an_opt_out_needs_no_verification_and_no_staff(tenant):
    request = intake.submit(tenant, Submission(type="opt_out", email="bob@example.com"), gpc=True)
    db.session.commit()
    assert request.status == "completed" and request.gpc is True and request.challenges == []
    event = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "verify")).scalar_one()
    assert event.actor == "system:opt_out" and "opt-out" in event.reason
    assert [m.row.template for m in mails()] == ["completed"]


@pytest.mark.parametrize("submission, field", [
    (Submission(type="teleport", email="a@example.com"), "type"),
    (Submission(type="access", email="a@example.com", regime="mars"), "regime"),
    (Submission(type="access", email=""), "email"),
    (Submission(type="access", email="not an address"), "email"),
    (Submission(type="access", email="a" * 310 + "@example.com"), "email"),
    (Submission(type="access", email="a@example.com", name="n" * 201), "name"),
    (Submission(type="access", email="a@example.com", phone="1" * 41), "phone"),
    (Submission(type="access", email="a@example.com", customer_id="c" * 101), "customer_id"),
    (Submission(type="access", email="a@example.com", details="d" * 5001), "details"),
    (Submission(type="rectification", email="a@example.com", details="  "), "details"),
    (Submission(type="access", email="a@example.com", agent=Agent("", "p@example.com", "parent")), "agent_name"),
    (Submission(type="access", email="a@example.com", agent=Agent("Pat", "nope", "parent")), "agent_email"),
    (Submission(type="access", email="a@example.com", agent=Agent("Pat", "p@example.com", "")), "agent_relationship"),
])
def test_each_bad_field_is_named_and_nothing_is_stored(tenant, submission, field):
    with pytest.raises(ValidationError) as caught:
        intake.submit(tenant, submission)
    assert caught.value.details["field"] == field
    db.session.rollback()
    assert mails() == []


def test_intake_never_reads_the_tenants_data(tenant):
    """A data map that cannot even be loaded changes nothing: intake does not open it."""
    tenant.datamap_path = "/nonexistent/acme.yml"
    tenant.settings = {"strong_verification": {"access": {"data_points": 2}}}
    db.session.commit()
    request = intake.submit(tenant, Submission(type="access", email="known@example.com"))
    db.session.commit()
    assert request.status == "unverified" and [m.row.template for m in mails()] == ["verification"]
