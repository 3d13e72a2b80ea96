"""The request page (SPEC §4, §6): hints shown with a confirm action (a recorded reason,
audited), the outcome as a table in words (no JSON), and a failed fulfilment as a notice."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dsar.extensions import db
from dsar.jobs.registry import JobContext
from dsar.models import RightsRequest
from dsar.services import identifiers, lifecycle
from dsar.services.fulfilment import execute_erasures
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.dashboard.factories import sign_in
from tests.downloads.fixtures import events, write_datamap
from tests.factories import make_tenant, make_user
from tests.shop_db import SHOP_NOW, TAX, create_shop, shop_datamap_yaml

SHOP_DAY = SHOP_NOW.date()


@pytest.fixture
def shop(customer_url):
    return create_shop(customer_url, seed=3, people=6)


@pytest.fixture
def tenant(app, shop, datamap_dir):
    tenant = make_tenant("shop", name="Shop Ltd", datamap_path=write_datamap(
        datamap_dir, shop_datamap_yaml(shop.url), "shop.yml"))
    db.session.commit()
    return tenant


@pytest.fixture
def dpo(tenant, client):
    user = make_user(tenant, "dpo")
    sign_in(client, user, tenant)
    return user


def submitted(tenant, email: str, **typed) -> RightsRequest:
    request = lifecycle.create_request(tenant, type="access", subject=lifecycle.Subject(email=email))
    identifiers.record(request, typed)
    lifecycle.verify(request, "subject")
    db.session.commit()
    return request


def page_of(client, request) -> str:
    return client.get(f"/dashboard/requests/{request.reference}").get_data(as_text=True)


def test_hints_are_shown_and_confirmed_with_a_reason(client, tenant, dpo, shop):
    person = next(p for p in shop.people if p.loyalty_id)
    request = submitted(tenant, "new@example.com", loyalty_id=person.loyalty_id, customer_id="C-1003")
    page = page_of(client, request)
    assert "Loyalty card number" in page and person.loyalty_id in page
    assert "a hint: not used to find data until confirmed" in page and "/actions/confirm_identifier" in page

    path = f"/dashboard/requests/{request.reference}/actions/confirm_identifier"
    client.post(path, data={"kind": "loyalty_id"})
    assert "Reason: say how you know this identifier is the subject" in page_of(client, request)
    assert identifiers.proven(request) == {"email": "new@example.com"}

    client.post(path, data={"kind": "loyalty_id", "reason": "card seen at the till"})
    db.session.expire_all()
    assert identifiers.proven(request) == {"email": "new@example.com", "loyalty_id": person.loyalty_id}
    (event,) = events(request, "identifier_confirmed")
    assert event.reason == "card seen at the till" and event.actor == f"user:{dpo.id}"
    assert "confirmed by staff" in page_of(client, request)


def test_the_outcome_of_an_erasure_is_a_table_in_words(client, tenant, dpo, shop):
    person = shop.people[0]
    request = lifecycle.create_request(tenant, type="erasure", subject=lifecycle.Subject(email=person.email))
    lifecycle.verify(request, "subject")
    db.session.commit()
    fulfil(request, "test")
    execute_erasures(JobContext(now=request.erasure_at + timedelta(minutes=1)))
    db.session.expire_all()
    page = page_of(client, request)
    assert 'id="result"' in page and '"erasure"' not in page and "tojson" not in page
    assert "Your customer account" in page and "Postal addresses" in page
    if person.rows["orders"]:
        assert "row(s) kept until" in page and TAX in page
    assert "shared reference data" in page


def test_a_failed_fulfilment_is_shown_on_the_page(client, tenant, dpo, shop):
    engine = sa.create_engine(shop.url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE loyalty"))
    engine.dispose()
    request = submitted(tenant, shop.people[0].email)
    client.post(f"/dashboard/requests/{request.reference}/actions/fulfil")
    page = page_of(client, request)
    assert 'id="fulfilment-failed"' in page
    assert "table &#34;loyalty&#34; of source &#34;shop&#34; does not exist" in page
    assert "The request stays in progress" in page


def test_manual_entry_takes_the_maps_own_identities_as_hints(client, tenant, dpo, shop):
    form = client.get("/dashboard/requests/new").get_data(as_text=True)
    assert '<label for="identity-loyalty_id">Loyalty card number (optional)</label>' in form
    received = SHOP_DAY.isoformat()
    response = client.post("/dashboard/requests/new", data={
        "channel": "post", "received_on": received, "type": "access", "regime": "gdpr",
        "email": "letter@example.org", "name": "Leta", "identity_loyalty_id": " L-77 ", "customer_id": "C-1002"})
    assert response.status_code == 303
    request = db.session.execute(sa.select(RightsRequest).where(RightsRequest.tenant_id == tenant.id)).scalar_one()
    assert {(i.kind, i.value, i.proven) for i in identifiers.listed(request) if i.kind != "email"} == \
        {("loyalty_id", "L-77", False), ("customer_id", "C-1002", False)}
