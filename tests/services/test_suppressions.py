"""The suppression list (SPEC §6): restriction, objection, withdrawal of consent and opt-out
list the subject as keyed hashes, per tenant, idempotently."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsar.errors import Conflict
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import Suppression
from dsar.services import suppressions
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.downloads.fixtures import events, make_request, messages
from tests.factories import make_tenant

PHONE = "+44 7700 900123"


def listed(tenant) -> list[Suppression]:
    return list(db.session.execute(sa.select(Suppression).where(Suppression.tenant_id == tenant.id)
                                   .order_by(Suppression.id)).scalars())


@pytest.mark.parametrize("type", suppressions.SUPPRESSING_TYPES)
def test_the_subject_is_listed_by_keyed_hashes_and_the_request_completed(app, type):
    tenant = make_tenant()
    request = make_request(tenant, type, email="Ana@Example.com", phone=PHONE)
    fulfil(request, "test")

    rows = listed(tenant)
    ring = keyring()
    assert {(row.kind, row.identifier_hash) for row in rows} == {
        ("email", ring.lookup_hash(tenant.id, "email", "ana@example.com")),
        ("phone", ring.lookup_hash(tenant.id, "phone", "+447700900123"))}
    assert {row.reason for row in rows} == {type} and {row.request_id for row in rows} == {request.id}
    assert (request.status, request.outcome) == ("completed", "complied")
    assert messages(request, "completed") and events(request, "suppressed")[0].payload == {
        "kinds": ["email", "phone"], "reason": type}
    assert "ana" not in repr([(r.identifier_hash, r.kind, r.reason) for r in rows]).lower()


def test_listing_twice_for_the_same_reason_adds_nothing_and_another_reason_adds_a_row(app):
    tenant = make_tenant()
    for type in ("opt_out", "opt_out", "objection"):
        fulfil(make_request(tenant, type, email="ana@example.com"), "test")
    assert sorted(row.reason for row in listed(tenant)) == ["objection", "opt_out"]


def test_check_answers_for_one_tenant_only(app):
    tenant, other = make_tenant(), make_tenant()
    fulfil(make_request(tenant, "withdraw_consent", email="ana@example.com", phone=PHONE), "test")
    fulfil(make_request(tenant, "opt_out", email="ana@example.com"), "test")

    found = suppressions.check(tenant.id, email=" ANA@example.com ")
    assert found.suppressed and found.reasons == ["opt_out", "withdraw_consent"]
    assert found.since == min(row.created_at for row in listed(tenant))
    assert suppressions.check(tenant.id, phone="+447700900123").reasons == ["withdraw_consent"]
    assert not suppressions.check(other.id, email="ana@example.com").suppressed
    nobody = suppressions.check(tenant.id, email="zoe@example.com")
    assert (nobody.suppressed, nobody.reasons, nobody.since) == (False, [], None)


def test_a_request_without_email_or_phone_cannot_be_listed(app):
    tenant = make_tenant()
    request = make_request(tenant, "objection", email=None)
    with pytest.raises(Conflict) as caught:
        fulfil(request, "test")
    assert "no e-mail or phone" in caught.value.message and not listed(tenant)
