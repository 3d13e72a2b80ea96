"""The data-map keys real schemas need (SPEC §5): each loads into the model, each mistake
has its located error, and `dsar datamap check` verifies what YAML cannot, on both legs."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsar.datamap.check import check_datamap
from dsar.datamap.loader import DataMapError, parse_datamap
from dsar.datamap.model import Link, Retain
from tests.shop_db import create_shop, shop_datamap_yaml

SHOP = shop_datamap_yaml("sqlite:///shop.db")


def errors_of(text: str) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        parse_datamap(text, name="shop.yml")
    return [str(issue) for issue in caught.value.issues]


def line_of(text: str, fragment: str) -> int:
    return next(n for n, row in enumerate(text.splitlines(), 1) if fragment in row)


def broken(old: str, new: str) -> str:
    assert old in SHOP, old
    return SHOP.replace(old, new, 1)


def test_the_shop_map_loads_every_new_key():
    datamap = parse_datamap(SHOP, name="shop.yml")
    source = datamap.sources[0]
    assert source.table("order_item").key == ("order_id", "item_no")
    assert source.table("order_item").primary_key is None  # composite: retention needs one column
    assert source.table("service_request").identity_columns("email") == ["email", "alt_email"]
    address = source.table("address")
    assert address.links == (Link("id", "customer", "address_id"), Link("id", "orders", "shipping_address_id"),
                             Link("id", "payment_card", "billing_address_id"))
    assert address.shared and isinstance(address.erasure_strategy, Retain)
    assert ("name", "user.name") in source.table("customer").categories
    assert ("name", "user.account") in source.table("customer").categories
    assert source.table("loyalty").identity == (("loyalty_id", "id"),)
    assert datamap.identity_label("loyalty_id") == "Loyalty card number"
    assert source.table("orders").label == "Your orders"


def test_schema_qualified_table_names_and_link_targets():
    text = SHOP.replace("- name: orders\n", "- name: billing.orders\n").replace(
        "orders.shipping_address_id", "billing.orders.shipping_address_id").replace(
        "link: {order_id: orders.id}", "link: {order_id: billing.orders.id}")
    source = parse_datamap(text, name="shop.yml").sources[0]
    orders = source.table("billing.orders")
    assert (orders.schema, orders.table_name) == ("billing", "orders")
    assert Link("order_id", "billing.orders", "id") in source.table("order_item").links


@pytest.mark.parametrize("old, new, path, message", [
    ("primary_key: [order_id, item_no]", "primary_key: []", "sources[0].tables[4].primary_key",
     "must be column or a non-empty list of them"),
    ("primary_key: [order_id, item_no]", "primary_key: [order_id, order_id]", "sources[0].tables[4].primary_key",
     "lists the same column twice"),
    ("primary_key: [order_id, item_no]", "primary_key: [order_id, 7]", "sources[0].tables[4].primary_key[1]",
     "must be a column name (text)"),
    ("identity: {email: [email, alt_email]}", "identity: {email: [email, {x: 1}]}",
     "sources[0].tables[6].identity.email[1]", "must be a column name (text)"),
    ("link: {id: [customer.address_id,", "link: {id: [customer,", "sources[0].tables[1].link.id[0]",
     '"customer" is not a link target'),
    ("link: {id: [customer.address_id,", "link: {id: [custmer.address_id,", "sources[0].tables[1].link.id",
     'links to table "custmer", which is not in source "shop" (did you mean "customer"?)'),
    ("shared: true", "shared: sometimes", "sources[0].tables[1].shared", "must be true or false"),
    ("name: [user.name, user.account]", "name: [user.name, user.acount]", "sources[0].tables[0].categories.name[1]",
     '"user.acount" is not a fideslang data category (did you mean "user.account"'),
    ("identity: {loyalty_id: id}", "identity: {loyality_id: id}", "sources[0].tables[7].identity.loyality_id",
     '"loyality_id" is not an identity kind (did you mean "loyalty_id"?)'),
    ('loyalty_id: {label: "Loyalty card number"}', "loyalty_id: {}", "identities.loyalty_id.label", "is required"),
    ('loyalty_id: {label: "Loyalty card number"}', 'Loyalty: {label: "x"}', "identities.Loyalty",
     '"Loyalty" is not an identity name'),
    ('loyalty_id: {label: "Loyalty card number"}', 'phone: {label: "x"}', "identities.phone", "is built in"),
    ("- name: address\n", "- name: bad-name\n", "sources[0].tables[1].name", '"bad-name" is not a table name'),
])
def test_each_mistake_names_file_line_and_key(old, new, path, message):
    text = broken(old, new)
    found = [e for e in errors_of(text) if f": {path}: " in e]
    assert found, errors_of(text)
    assert message in found[0]
    assert found[0].startswith("shop.yml:")


def test_a_table_reached_through_a_shared_table_is_an_error():
    text = broken("        link: {customer_id: customer.id}\n        categories: {holder_name",
                  "        link: {customer_id: customer.id, billing_address_id: address.id}\n"
                  "        categories: {holder_name")
    (error,) = [e for e in errors_of(text) if "shared table" in e]
    assert error.startswith(f"shop.yml:{line_of(text, 'billing_address_id: address.id')}: sources[0].tables[3].link: ")
    assert "payment_card is reached through shared table address" in error


def test_shared_on_a_table_requests_do_not_reach_is_an_error():
    text = SHOP + "      - {name: audit_log, primary_key: id, shared: true}\n"
    assert any("sources[0].tables[8].shared: applies only to tables that requests reach" in e
               for e in errors_of(text))


def test_offline_check_says_the_new_keys_in_plain_words(tmp_path):
    path = tmp_path / "shop.yml"
    path.write_text(SHOP)
    text = check_datamap(path, offline=True).render()
    for line in [
        "order_item: rows are named by the composite key (order_id, item_no)",
        "service_request: email is looked for in email and alt_email",
        "customer.name: holds user.name and user.account",
        "shared tables (rows several people point at):",
        "address: kept on erasure — shared reference data",
        "product: kept on erasure — shared reference data",
        "address          address.id → customer.address_id; customer found by email, phone, customer_id",
        "loyalty          found by loyalty_id (loyalty.id); or loyalty.customer_ref → customer.id",
    ]:
        assert line in text, line


def test_check_against_the_shop_database(source_url, tmp_path):
    create_shop(source_url)
    path = tmp_path / "shop.yml"
    path.write_text(shop_datamap_yaml(source_url))
    report = check_datamap(path)
    assert report.ok, report.errors
    (cast,) = [w for w in report.warnings if "compared as" in w]
    assert cast.startswith("shop.loyalty.customer_ref: is VARCHAR(20) but customer.id is INTEGER; they are "
                           "compared as VARCHAR(20) (CAST(customer.id AS VARCHAR(20)))")


def test_check_finds_a_key_that_is_not_unique(source_url, tmp_path):
    create_shop(source_url)
    path = tmp_path / "shop.yml"
    path.write_text(shop_datamap_yaml(source_url).replace("primary_key: [order_id, item_no]", "primary_key: order_id"))
    report = check_datamap(path)
    assert "shop.order_item: primary_key order_id is not the table's primary key or a unique constraint: erasure " \
           "and retention name rows by it, so they could reach other people's rows (declare the real key, or add " \
           "a unique constraint)" in report.errors


def test_check_finds_a_missing_table(source_url, tmp_path):
    create_shop(source_url)
    engine = sa.create_engine(source_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE loyalty"))
    engine.dispose()
    path = tmp_path / "shop.yml"
    path.write_text(shop_datamap_yaml(source_url))
    assert 'shop.loyalty: table "loyalty" does not exist' in check_datamap(path).errors


def test_a_link_to_a_table_requests_do_not_reach_is_an_error_not_a_500_later():
    text = broken("        link: {customer_id: customer.id}\n        categories: {total:",
                  "        link: {customer_id: customer.id, warehouse_id: warehouse.id}\n        categories: {total:")
    text += "      - {name: warehouse, primary_key: id}\n"
    (error,) = [e for e in errors_of(text) if "which requests do not reach" in e]
    assert ": sources[0].tables[2].link: links to warehouse, which requests do not reach, so this link finds " \
           "nothing; to reach warehouse through orders, declare the link on warehouse instead" in error


def test_a_composite_key_on_a_table_with_retention_is_an_error():
    text = broken("        link: {order_id: orders.id}\n",
                  "        link: {order_id: orders.id}\n        retention: {after: 2 years, from: order_id, action: delete}\n")
    assert any(e.endswith("sources[0].tables[4].primary_key: retention works through the table in batches by one "
                          "key column: a table with retention rules needs a one-column primary_key (or a unique "
                          "column)") for e in errors_of(text))
