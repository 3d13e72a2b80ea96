"""The tenant's own identity kinds (the data map's ``identities:``) are optional fields of
the portal form; what is typed there is recorded as a hint, never a key to data (SPEC §4)."""
from __future__ import annotations

import pytest

from dsar.extensions import db
from dsar.services import identifiers
from tests.downloads.fixtures import write_datamap
from tests.factories import make_tenant
from tests.portal.helpers import all_requests, portal_submit
from tests.shop_db import shop_datamap_yaml


@pytest.fixture
def shop_tenant(app, datamap_dir):
    tenant = make_tenant("shop", name="Shop Ltd", datamap_path=write_datamap(
        datamap_dir, shop_datamap_yaml("sqlite:///unused-shop.db"), "shop.yml"))
    db.session.commit()
    return tenant


def test_the_form_offers_the_tenants_identities_as_optional_fields(client, shop_tenant):
    page = client.get("/t/shop/").get_data(as_text=True)
    assert '<label for="identity-loyalty_id">Loyalty card number</label>' in page
    assert 'aria-describedby="identity-loyalty_id-hint"' in page and "Optional: helps us find your data." in page
    assert 'name="identity_loyalty_id"' in page


def test_a_typed_loyalty_number_is_recorded_as_a_hint(client, shop_tenant):
    answer = portal_submit(client, "shop", email="ann@example.com", identity_loyalty_id=" L-12345 ")
    assert answer.status_code == 200
    (request,) = all_requests()
    assert [(i.kind, i.value, i.proven) for i in identifiers.listed(request) if i.kind == "loyalty_id"] == \
        [("loyalty_id", "L-12345", False)]


def test_a_tenant_without_identities_shows_no_extra_field(client, app):
    make_tenant("plain")
    db.session.commit()
    assert "identity_" not in client.get("/t/plain/").get_data(as_text=True)


@pytest.fixture
def shop(customer_url):
    from tests.shop_db import create_shop

    return create_shop(customer_url, seed=3, people=6)


def test_a_custom_identity_is_a_data_point_of_stronger_verification_on_the_portal(client, app, shop, datamap_dir):
    from tests.portal.helpers import last_mail, reference_in, request_by_reference

    tenant = make_tenant("shop", name="Shop Ltd", datamap_path=write_datamap(
        datamap_dir, shop_datamap_yaml(shop.url), "shop.yml"))
    tenant.settings = {"strong_verification": {"access": {"data_points": 1}}}
    db.session.commit()
    holder = next(p for p in shop.people if p.loyalty_id)
    reference = reference_in(portal_submit(client, "shop", email=holder.email).data)
    path = last_mail("verification").verify_path
    page = client.get(path).get_data(as_text=True)
    assert '<label for="identity-loyalty_id">Loyalty card number</label>' in page
    assert client.post(path, data={"identity_loyalty_id": "L-00000-9"}).status_code == 400
    assert client.post(path, data={"identity_loyalty_id": holder.loyalty_id}).status_code == 302
    request = request_by_reference(reference)
    assert request.status == "verified"
    assert identifiers.proven(request) == {"email": holder.email, "loyalty_id": holder.loyalty_id}
