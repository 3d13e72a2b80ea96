"""A failure is an event, never a 500 (SPEC §6): a table or column gone, a key that is not
unique — the request stays where it was, a ``fulfilment_failed`` event names source and
table in words, the API shows it, and nothing is partly erased. Both legs, shop fixture."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from dsar.errors import DsarError
from dsar.extensions import db
from dsar.jobs.registry import JobContext
from dsar.services.fulfilment import execute_erasures
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.api.conftest import headers_for
from tests.downloads.fixtures import events, make_request, write_datamap
from tests.factories import make_tenant
from tests.shop_db import create_shop, shop_datamap_yaml, shop_snapshot


@pytest.fixture
def token_for(app):
    from dsar.services.api_tokens import create_token

    def issue(tenant) -> str:
        secret = create_token(tenant, "tests", actor="test").secret
        db.session.commit()
        return secret

    return issue


@pytest.fixture
def shop(customer_url):
    return create_shop(customer_url, seed=3, people=6)


def shop_tenant(datamap_dir, shop, text: str | None = None):
    tenant = make_tenant("shop", name="Shop Ltd", datamap_path=write_datamap(
        datamap_dir, text or shop_datamap_yaml(shop.url), "shop.yml"))
    db.session.commit()
    return tenant


def execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


@pytest.mark.parametrize("statement, table, words", [
    ("DROP TABLE loyalty", "loyalty", 'table "loyalty" of source "shop" does not exist'),
    ("ALTER TABLE service_request RENAME COLUMN alt_email TO other_email", "service_request",
     'column "service_request.alt_email" of source "shop" does not exist'),
])
def test_an_access_request_whose_table_or_column_is_gone_stays_in_progress_with_the_event(
        app, client, shop, datamap_dir, token_for, statement, table, words):
    tenant = shop_tenant(datamap_dir, shop)
    execute(shop.url, statement)
    request = make_request(tenant, "access", email=shop.people[0].email)
    with pytest.raises(DsarError) as caught:
        fulfil(request, "test")
    assert words in caught.value.message
    db.session.expire_all()
    assert request.status == "in_progress" and request.result is None
    (failed,) = events(request, "fulfilment_failed")
    assert words in failed.reason and failed.payload["source"] == "shop" and failed.payload["table"] == table

    detail = client.get(f"/api/v1/requests/{request.reference}", headers=headers_for(token_for(tenant))).json
    assert detail["status"] == "in_progress" and detail["result"] is None
    assert detail["last_failure"]["table"] == table and words in detail["last_failure"]["reason"]
    answer = client.post(f"/api/v1/requests/{request.reference}/fulfil", json={},
                         headers=headers_for(token_for(tenant)))
    assert answer.status_code == 409 and answer.json["error"]["message"] == caught.value.message


def test_an_erasure_on_a_key_that_is_not_unique_erases_nothing_and_stays_scheduled(app, shop, datamap_dir):
    text = shop_datamap_yaml(shop.url).replace("primary_key: [order_id, item_no]", "primary_key: order_id")
    tenant = shop_tenant(datamap_dir, shop, text)
    request = make_request(tenant, "erasure", email=shop.people[0].email)
    fulfil(request, "test")
    before = shop_snapshot(shop.url)
    ctx = JobContext(now=request.erasure_at + timedelta(minutes=1))
    execute_erasures(ctx)
    db.session.expire_all()
    assert shop_snapshot(shop.url) == before
    assert request.status == "scheduled"
    (failed,) = events(request, "fulfilment_failed")
    assert 'table "order_item" of source "shop": primary_key order_id is not the table\'s primary key or a ' \
           "unique constraint" in failed.reason
    assert failed.payload == {"step": "erasure", "code": "datamap_mismatch", "source": "shop",
                              "table": "order_item"}
    assert ctx.errors and request.reference in ctx.errors[0]


def test_linked_columns_of_different_types_are_compared_or_fail_as_an_event(app, shop, datamap_dir):
    """A loyalty row whose text ``customer_ref`` is no number: PostgreSQL refuses the cast
    (an event, nothing erased); SQLite compares it as 0 (the erasure completes)."""
    tenant = shop_tenant(datamap_dir, shop)
    execute(shop.url, "INSERT INTO loyalty (id, customer_ref, points) VALUES ('L-odd', 'not-a-number', 1)")
    request = make_request(tenant, "erasure", email=shop.people[0].email)
    fulfil(request, "test")
    before = shop_snapshot(shop.url)
    execute_erasures(JobContext(now=request.erasure_at + timedelta(minutes=1)))
    db.session.expire_all()
    failures = events(request, "fulfilment_failed")
    if failures:
        assert request.status == "scheduled" and shop_snapshot(shop.url) == before
        assert failures[0].payload["source"] == "shop" and failures[0].payload["table"]
        assert 'of source "shop" failed' in failures[0].reason
    else:
        assert request.status == "completed" and shop_snapshot(shop.url) != before
    assert (shop.url.startswith("postgresql")) == bool(failures)
