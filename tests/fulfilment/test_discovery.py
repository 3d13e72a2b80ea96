"""Discovery: exactly one subject's rows, in every table, over links, within the tenant's scope."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from dsar.datamap.loader import parse_datamap
from dsar.datamap.sources import engine_for
from dsar.errors import SourceUnavailable
from dsar.fulfilment.discovery import iter_rows, json_safe, preview
from tests.sample_app_db import BUSINESS, OTHER_BUSINESS, TABLES, sample_datamap_yaml


def found_ids(datamap, table: str, identifiers, **options) -> list[int]:
    return [row["id"] for batch in iter_rows(datamap.sources[0], table, identifiers, **options) for row in batch]


def test_preview_counts_exactly_each_subjects_rows(sample_app, datamap):
    for subject in sample_app.subjects:
        if subject.business_id != BUSINESS:
            continue
        counts = preview(datamap, subject.identifiers)
        assert counts == {("app", table): len(subject.rows[table]) for table in TABLES}, subject.email


def test_rows_are_the_subjects_and_nobody_elses(sample_app, datamap):
    for subject in (s for s in sample_app.subjects if s.business_id == BUSINESS):
        for table in TABLES:
            ids = found_ids(datamap, table, subject.identifiers)
            assert sorted(ids) == ids == sorted(subject.rows[table]), (subject.email, table)


def test_email_is_compared_ignoring_case(sample_app, datamap):
    bob = sample_app.subject("bob@example.com")
    assert bob.email == "Bob@Example.com"  # stored in mixed case
    assert set(found_ids(datamap, "accounts", {"email": "  BOB@example.COM "})) == bob.rows["accounts"]


def test_any_one_identifier_is_enough(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    by_phone = preview(datamap, {"phone": alice.phone})
    by_customer_id = preview(datamap, {"customer_id": str(alice.account_id)})  # text, as from a form
    assert by_phone[("app", "messages")] == by_customer_id[("app", "messages")] == len(alice.rows["messages"])
    # The ticket is found through the account link even without the e-mail.
    assert set(found_ids(datamap, "support_tickets", {"phone": alice.phone})) == alice.rows["support_tickets"]


def test_scope_keeps_other_businesses_out(sample_app, datamap):
    ours, theirs = sample_app.subject("alice@example.com"), sample_app.subject("alice@example.com", OTHER_BUSINESS)
    for table in TABLES:
        ids = set(found_ids(datamap, table, {"email": "alice@example.com"}))
        assert ids == ours.rows[table] and not ids & theirs.rows[table], table


def test_without_scope_both_businesses_match(sample_app):
    unscoped = parse_datamap(sample_datamap_yaml(sample_app.url).replace(
        '    scope: {column: business_id, value: "42"}\n', ""))
    ours, theirs = sample_app.subject("alice@example.com"), sample_app.subject("alice@example.com", OTHER_BUSINESS)
    ids = set(found_ids(unscoped, "messages", {"email": "alice@example.com"}))
    assert ids == ours.rows["messages"] | theirs.rows["messages"]


def test_visitor_known_only_by_a_ticket(sample_app, datamap):
    carol = sample_app.subject("carol.visitor@example.com")
    counts = preview(datamap, carol.identifiers)
    assert {key: n for key, n in counts.items() if n} == {("app", "support_tickets"): 1}


def test_unknown_subject_has_no_rows(datamap):
    assert set(preview(datamap, {"email": "nobody@example.com", "phone": "", "customer_id": None}).values()) == {0}
    assert set(preview(datamap, {"customer_id": "not-a-number"}).values()) == {0}


def test_multi_hop_and_more_than_500_rows_in_batches(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    assert len(alice.rows["messages"]) > 500  # messages → conversations → accounts
    batches = list(iter_rows(datamap.sources[0], "messages", {"email": alice.email}, batch_size=250))
    assert [len(b) for b in batches] == [250, 250, len(alice.rows["messages"]) - 500]
    assert {row["id"] for batch in batches for row in batch} == alice.rows["messages"]


def test_queries_are_set_based_not_per_row(sample_app, datamap):
    statements = []
    engine = engine_for(datamap.sources[0])
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    preview(datamap, {"email": "alice@example.com"})
    counted = [s for s in statements if "count(" in s.lower()]
    assert len(counted) == len(TABLES)  # one statement per table, whatever the number of rows
    assert all("alice@example.com" not in s for s in statements)  # parametrised


def test_rows_are_json_safe(sample_app, datamap):
    [batch] = list(iter_rows(datamap.sources[0], "invoices", {"email": "alice@example.com"}))
    json.dumps(batch)
    row = batch[0]
    assert isinstance(row["amount"], str) and Decimal(row["amount"]) > 0
    assert dt.datetime.fromisoformat(row["issued_at"]) < sample_app.now


def test_json_safe_values():
    assert json_safe(b"\x00\xff") == "AP8="
    assert json_safe(Decimal("12.30")) == "12.30"
    assert json_safe(dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)) == "2025-01-02T03:04:05+00:00"
    assert json_safe(dt.date(2025, 1, 2)) == "2025-01-02"
    assert json_safe(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"
    assert json_safe({"a": [memoryview(b"x"), None, 1.5, True]}) == {"a": ["eA==", None, 1.5, True]}


def test_a_down_source_names_the_source_not_the_password():
    datamap = parse_datamap(sample_datamap_yaml("postgresql+psycopg://app:hunter2@127.0.0.1:1/app"))
    with pytest.raises(SourceUnavailable) as caught:
        preview(datamap, {"email": "alice@example.com"})
    assert caught.value.message.startswith('source "app" could not be reached')
    assert "hunter2" not in caught.value.message and caught.value.details == {"source": "app"}
