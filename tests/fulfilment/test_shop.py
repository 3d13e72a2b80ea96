"""The shop fixture (tests/shop_db.py), on SQLite and PostgreSQL: the access answer holds
every row of the subject from every table and nothing of anyone else; erasure of one
person leaves everyone else's answer unchanged, byte for byte (a hypothesis property)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar.datamap.loader import parse_datamap
from dsar.datamap.sources import dispose_engines
from dsar.datamap.sources import connect, reflect
from dsar.fulfilment.discovery import SubjectRows, iter_rows, participating, preview
from dsar.fulfilment.erasure import erase_subject
from tests.shop_db import KEYS, SHOP_NOW, TABLES, create_shop, shop_datamap_yaml, shop_snapshot

KEY = b"shop-hash-key"


@pytest.fixture
def shop(source_url):
    return create_shop(source_url, seed=3, people=6)


@pytest.fixture
def shop_map(shop):
    return parse_datamap(shop_datamap_yaml(shop.url), name="shop.yml")


def answer(datamap, identifiers) -> dict[str, set[tuple]]:
    """The access answer, as the export reads it: per table, the keys of the rows found."""
    source = datamap.sources[0]
    found = {}
    for table in participating(source):
        rows = [row for batch in iter_rows(source, table, identifiers) for row in batch]
        found[table] = {tuple(row[k] for k in KEYS.get(table, ("id",))) for row in rows}
    return found


def answers(datamap, people) -> dict[str, dict[str, set[tuple]]]:
    """The same selection as ``answer`` for many people on one connection (the property runs
    it for everyone, many times): ``{email: {table: keys}}``."""
    source = datamap.sources[0]
    found = {}
    with connect(source) as connection:
        tables = reflect(connection, source, participating(source))
        for person in people:
            rows = SubjectRows(source, tables, person.identifiers)
            found[person.email] = {name: {tuple(row) for row in connection.execute(rows.select_keys(name))}
                                   for name in participating(source)}
    return found


def test_the_shop_map_is_valid_and_every_table_takes_part(shop_map):
    assert set(participating(shop_map.sources[0])) == set(TABLES)
    assert dict(shop_map.identities)["loyalty_id"].label == "Loyalty card number"


def test_access_holds_every_row_of_the_subject_and_nothing_of_anyone_else(shop, shop_map):
    everyone = answers(shop_map, shop.people)
    for person in shop.people:
        found = answer(shop_map, person.identifiers)
        assert found == everyone[person.email]
        for table in TABLES:  # explicitly, table by table
            assert found[table] == person.rows[table], (person.email, table)


def test_by_email_alone_the_loyalty_card_is_found_through_a_text_to_integer_link(shop, shop_map):
    holders = [p for p in shop.people if p.loyalty_id]
    assert holders, "the seed gives someone a loyalty card"
    person = holders[0]
    assert answer(shop_map, {"email": person.email})["loyalty"] == {(person.loyalty_id,)}
    assert answer(shop_map, {"loyalty_id": person.loyalty_id})["loyalty"] == {(person.loyalty_id,)}


def test_an_unknown_subject_finds_nothing(shop, shop_map):
    counts = preview(shop_map, {"email": "nobody@example.com"})
    assert set(counts.values()) == {0}


def _check_erasure(shop, shop_map, victim_index: int) -> None:
    victim = shop.people[victim_index % len(shop.people)]
    everyone = answers(shop_map, shop.people)
    mine = everyone.pop(victim.email)
    others = everyone
    before = shop_snapshot(shop.url)
    outcome = {t.table: t for t in erase_subject(shop_map, victim.identifiers, hash_key=KEY, now=SHOP_NOW).tables}
    after = shop_snapshot(shop.url)

    for email, their in others.items():  # everyone else: unchanged, byte for byte
        for table, keys in their.items():
            for key in keys:
                assert after[table].get(key) == before[table][key], (email, table, key)
    for table, keys in mine.items():  # the victim: gone, anonymized as mapped, or kept and listed
        result = outcome[table]
        gone = {k for k in keys if k not in after[table]}
        changed = {k for k in keys if k in after[table] and after[table][k] != before[table][k]}
        same = keys - gone - changed
        assert result.rows == len(keys), table
        if result.action == "retain":
            assert not gone and not changed and result.basis, table
            continue
        if result.action == "delete":
            assert len(gone) == result.deleted and len(same | changed) == result.kept, table
        else:
            assert not gone and len(changed) == result.anonymized, table
            assert len(same) >= result.kept, table
        if result.kept:
            assert result.kept_because and all(why for why, _ in result.kept_because), table


def test_erasing_one_person_by_hand_picked_example(shop, shop_map):
    _check_erasure(shop, shop_map, 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10_000), people=st.integers(min_value=2, max_value=6),
       victim=st.integers(min_value=0, max_value=5))
def test_erasure_touches_nobody_else_property(source_url, seed, people, victim):
    dispose_engines()  # the schema is rebuilt: no pooled connection may hold the old one
    shop = create_shop(source_url, seed=seed, people=people)
    shop_map = parse_datamap(shop_datamap_yaml(shop.url), name="shop.yml")
    _check_erasure(shop, shop_map, victim)


@pytest.fixture
def pg_shop(pg_server):
    """The shop on PostgreSQL with a second schema (SQLite has schemas only as attached files)."""
    import uuid

    name = f"shop_schema_{uuid.uuid4().hex[:8]}"
    url = pg_server.url_for(name)
    yield create_shop(url, seed=3, people=4)
    dispose_engines()
    pg_server.drop(name)


def test_schema_qualified_tables_are_found_and_erased_by_their_schema(pg_shop):
    import sqlalchemy as sa

    engine = sa.create_engine(pg_shop.url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA billing"))
        conn.execute(sa.text("CREATE TABLE billing.invoices (id INTEGER PRIMARY KEY, "
                             "customer_id INTEGER NOT NULL REFERENCES public.customer (id), amount INTEGER)"))
        conn.execute(sa.text("INSERT INTO billing.invoices VALUES (1, 1, 10), (2, 2, 20), (3, 1, 30)"))
    engine.dispose()
    text = shop_datamap_yaml(pg_shop.url) + (
        "      - name: billing.invoices\n        primary_key: id\n        link: {customer_id: customer.id}\n")
    datamap = parse_datamap(text, name="shop.yml")
    first = pg_shop.people[0]
    assert answer(datamap, first.identifiers)["billing.invoices"] == {(1,), (3,)}
    outcome = {t.table: t for t in erase_subject(datamap, first.identifiers, hash_key=KEY, now=SHOP_NOW).tables}
    assert outcome["billing.invoices"].deleted == 2
    assert answer(datamap, pg_shop.people[1].identifiers)["billing.invoices"] == {(2,)}
