"""Only proven identifiers reach data (SPEC §4), end to end through the public API on both
legs: a requester who types a victim's customer number, phone and loyalty card beside their
own e-mail address, and proves only their own address, gets nothing of the victim in the
export, and an erasure that way leaves the victim's rows as they were."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dsar.extensions import db
from dsar.jobs.registry import JobContext
from dsar.models import RightsRequest
from dsar.services.fulfilment import execute_erasures
from tests.api.conftest import headers_for
from tests.downloads.fixtures import events, open_zip, write_datamap
from tests.factories import make_tenant
from tests.portal.helpers import last_mail
from tests.shop_db import KEYS, create_shop, shop_datamap_yaml, shop_snapshot


@pytest.fixture
def shop(customer_url):
    return create_shop(customer_url, seed=3, people=6)


@pytest.fixture
def shop_tenant(app, shop, datamap_dir):
    tenant = make_tenant("shop", name="Shop Ltd", datamap_path=write_datamap(
        datamap_dir, shop_datamap_yaml(shop.url), "shop.yml"), dpo_email="dpo@shop.example")
    db.session.commit()
    return tenant


@pytest.fixture
def staff(shop_tenant, token_for):
    return headers_for(token_for(shop_tenant))


def victim_and_attacker(shop):
    victim = next(p for p in shop.people if p.loyalty_id)
    attacker = next(p for p in shop.people if p is not victim)
    return victim, attacker


def submit_and_prove_own_address(client, type_: str, email: str, **typed) -> str:
    answer = client.post("/api/v1/tenants/shop/requests", json={"type": type_, "email": email, **typed})
    assert answer.status_code == 202, answer.json
    reference = answer.json["reference"]
    verified = client.post(f"/api/v1/requests/{reference}/verify", json={"code": last_mail("verification").code})
    assert verified.status_code == 200, verified.json
    return reference


def the_victims_identifiers(victim, index: int) -> dict:
    return {"customer_id": f"C-{1000 + index}", "phone": f"+4411300{index:04d}",
            "identities": {"loyalty_id": victim.loyalty_id}}


def exported_keys(archive) -> dict[str, set[tuple]]:
    found = {}
    for name in archive.namelist():
        if name.startswith("data/shop/") and name.endswith(".json"):
            table = name.removeprefix("data/shop/").removesuffix(".json")
            found[table] = {tuple(row[k] for k in KEYS[table]) for row in json.loads(archive.read(name))}
    return found


def test_an_export_holds_nothing_of_the_victim_whose_identifiers_were_only_typed(client, shop, shop_tenant, staff):
    victim, attacker = victim_and_attacker(shop)
    reference = submit_and_prove_own_address(client, "access", attacker.email,
                                             **the_victims_identifiers(victim, shop.people.index(victim)))
    detail = client.get(f"/api/v1/requests/{reference}", headers=staff).json
    proven = {i["kind"]: i["proven"] for i in detail["identifiers"]}
    assert proven == {"email": True, "customer_id": False, "phone": False, "loyalty_id": False}

    assert client.post(f"/api/v1/requests/{reference}/fulfil", json={}, headers=staff).status_code == 200
    archive = open_zip(client.get(f"/api/v1/requests/{reference}/export", headers=staff).data)
    exported = exported_keys(archive)
    assert exported["customer"] == attacker.rows["customer"]
    for table, keys in exported.items():
        assert keys == attacker.rows[table], table  # the attacker's own rows, nothing more
    victims_own = {t: keys - attacker.rows[t] for t, keys in victim.rows.items()}
    assert all(not (exported.get(t, set()) & keys) for t, keys in victims_own.items())


def test_an_erasure_leaves_the_victim_unchanged(client, shop, shop_tenant, staff):
    victim, attacker = victim_and_attacker(shop)
    reference = submit_and_prove_own_address(client, "erasure", attacker.email,
                                             **the_victims_identifiers(victim, shop.people.index(victim)))
    assert client.post(f"/api/v1/requests/{reference}/fulfil", json={}, headers=staff).status_code == 200
    request = db.session.execute(db.select(RightsRequest).where(RightsRequest.reference == reference)).scalar_one()
    before = shop_snapshot(shop.url)
    execute_erasures(JobContext(now=request.erasure_at + timedelta(minutes=1)))
    db.session.expire_all()
    after = shop_snapshot(shop.url)

    assert request.status == "completed"
    for table, keys in victim.rows.items():
        for key in keys:
            assert after[table].get(key) == before[table][key], (table, key)
    # What the attacker did prove, their own address, was erased (deleted, or emptied where kept).
    assert all(after["customer"].get(k) != before["customer"][k] for k in attacker.rows["customer"])

    # The evidence: per table, by the map's labels, what was deleted, anonymized, retained or kept.
    result = {t["table"]: t for t in client.get(f"/api/v1/requests/{reference}", headers=staff).json["result"]["tables"]}
    assert set(result) == {"customer", "address", "orders", "payment_card", "order_item", "product",
                           "service_request", "loyalty"}
    assert result["address"]["label"] == "Postal addresses" and result["address"]["shared"]
    assert result["address"]["retained"]["basis"].startswith("shared reference data")
    assert result["customer"]["label"] == "Your customer account"
    if attacker.rows["orders"]:
        assert result["orders"]["retained"]["until"] and result["customer"]["kept"][0]["why"].startswith(
            "kept records of orders refer to them")
        assert set(result["customer"]["anonymized_columns"]) == {"email", "phone", "customer_number", "name"}
    else:
        assert result["customer"]["deleted"] == 1
    assert result["order_item"]["deleted"] == len(attacker.rows["order_item"])


def test_staff_confirm_a_hint_with_a_reason_and_then_it_finds_data(client, shop, shop_tenant, staff):
    victim, _ = victim_and_attacker(shop)
    index = shop.people.index(victim)
    reference = submit_and_prove_own_address(client, "access", "newaddress@example.com",
                                             customer_id=f"C-{1000 + index}")
    path = f"/api/v1/requests/{reference}/confirm_identifier"
    missing = client.post(path, json={"kind": "customer_id"}, headers=staff)
    assert missing.status_code == 422 and missing.json["error"]["details"]["field"] == "reason"
    unknown = client.post(path, json={"kind": "loyalty_id", "reason": "x"}, headers=staff)
    assert unknown.status_code == 422 and unknown.json["error"]["details"]["field"] == "kind"

    confirmed = client.post(path, json={"kind": "customer_id", "reason": "customer showed their card at the desk"},
                            headers=staff)
    assert confirmed.status_code == 200
    request = db.session.execute(db.select(RightsRequest).where(RightsRequest.reference == reference)).scalar_one()
    (event,) = events(request, "identifier_confirmed")
    assert event.reason == "customer showed their card at the desk" and event.payload == {"kind": "customer_id"}
    assert client.post(path, json={"kind": "customer_id", "reason": "again"}, headers=staff).status_code == 409

    assert client.post(f"/api/v1/requests/{reference}/fulfil", json={}, headers=staff).status_code == 200
    archive = open_zip(client.get(f"/api/v1/requests/{reference}/export", headers=staff).data)
    assert exported_keys(archive)["customer"] == victim.rows["customer"]


def test_a_custom_identity_the_map_does_not_declare_is_a_422(client, shop_tenant):
    answer = client.post("/api/v1/tenants/shop/requests", json={
        "type": "access", "email": "a@example.com", "identities": {"passport": "X1"}})
    assert answer.status_code == 422 and answer.json["error"]["details"]["field"] == "passport"
    assert "not an identity of this organisation's data map (known: loyalty_id)" in answer.json["error"]["message"]


def test_a_data_point_matched_in_stronger_verification_is_proven(client, shop, shop_tenant, staff):
    shop_tenant.settings = {"strong_verification": {"access": {"data_points": 1}}}
    db.session.commit()
    victim, attacker = victim_and_attacker(shop)
    holder = victim  # proves their own loyalty card on their own address's rows
    answer = client.post("/api/v1/tenants/shop/requests", json={"type": "access", "email": holder.email})
    reference = answer.json["reference"]
    code = last_mail("verification").code
    wrong = client.post(f"/api/v1/requests/{reference}/verify",
                        json={"code": code, "answers": {"loyalty_id": attacker.loyalty_id or "L-0"}})
    assert wrong.status_code == 422
    right = client.post(f"/api/v1/requests/{reference}/verify",
                        json={"code": code, "answers": {"loyalty_id": holder.loyalty_id}})
    assert right.status_code == 200, right.json
    detail = client.get(f"/api/v1/requests/{reference}", headers=staff).json
    assert {"kind": "loyalty_id", "value": holder.loyalty_id, "proven": True, "proof": "data_point"} \
        in detail["identifiers"]
