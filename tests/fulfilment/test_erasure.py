"""Erasure: each table's strategy exactly as mapped, nobody else touched, idempotent,
one transaction per source."""
from __future__ import annotations

import hashlib
import hmac

import pytest
import sqlalchemy as sa

from dsar.datamap.loader import parse_datamap
from dsar.datamap.sources import engine_for
from dsar.domain.ip_masking import mask_ip
from dsar.errors import ConfigurationError, SourceUnavailable
from dsar.fulfilment.erasure import PartialErasure, erase_subject
from tests.sample_app_db import SAMPLE_NOW, TABLES, sample_datamap_yaml, snapshot

KEY = b"tenant-hash-key"
TAX = "Tax law: legal obligation, Art. 17(3)(b)"
DOWN_SOURCE = """\
  - name: billing
    url: "postgresql+psycopg://billing:hunter2@127.0.0.1:1/billing"
    tables:
      - {name: payments, primary_key: id, identity: {email: email}}
"""


def erase(datamap, identifiers, **options):
    return erase_subject(datamap, identifiers, hash_key=KEY, now=SAMPLE_NOW, **options)


def by_table(outcome):
    return {t.table: t for t in outcome.tables}


def rows_by_id(snap, table):
    return {row[0]: row for row in snap[table]}


def variant(sample_app, old: str, new: str):
    text = sample_datamap_yaml(sample_app.url)
    assert old in text
    return parse_datamap(text.replace(old, new))


def test_each_table_gets_its_mapped_strategy(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    before = snapshot(sample_app.url)
    outcome = by_table(erase(datamap, alice.identifiers))
    after = snapshot(sample_app.url)

    for table in ("messages", "conversations", "support_tickets"):  # delete
        assert not set(rows_by_id(after, table)) & alice.rows[table]
        assert outcome[table].action == "delete" and outcome[table].changed == len(alice.rows[table])
    for visit_id in alice.rows["widget_visits"]:  # {ip: ip_level_3, user_agent: null}, detached
        old, new = rows_by_id(before, "widget_visits")[visit_id], rows_by_id(after, "widget_visits")[visit_id]
        assert new == (visit_id, None, mask_ip(old[2], 3), None, old[4])
    assert {i: rows_by_id(after, "invoices")[i] for i in alice.rows["invoices"]} == \
        {i: rows_by_id(before, "invoices")[i] for i in alice.rows["invoices"]}  # retained untouched
    # The account is referred to by retained invoices: kept, with nothing that identifies her.
    [account_id] = alice.rows["accounts"]
    old, new = rows_by_id(before, "accounts")[account_id], rows_by_id(after, "accounts")[account_id]
    assert new[2].startswith("erased-") and new[3:5] == (None, None) and (new[1], new[5]) == (old[1], old[5])
    assert (outcome["accounts"].kept, outcome["accounts"].changed) == (1, 1)
    assert "invoices" in outcome["accounts"].describe()


def test_nobody_else_is_touched(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    before = snapshot(sample_app.url)
    erase(datamap, alice.identifiers)
    after = snapshot(sample_app.url)
    for table in TABLES:
        others_before = {row for row in before[table] if row[0] not in alice.rows[table]}
        others_after = {row for row in after[table] if row[0] not in alice.rows[table]}
        assert others_before == others_after, table
    assert before["server_logs"] == after["server_logs"]


def test_retained_rows_are_listed_with_basis_and_end_date(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    issued = [row[5] for row in snapshot(sample_app.url)["invoices"] if row[0] in alice.rows["invoices"]]
    latest = max(issued).date()
    outcome = erase(datamap, alice.identifiers)
    [retained] = outcome.retained
    assert (retained.table, retained.rows, retained.changed, retained.basis) == (
        "invoices", len(alice.rows["invoices"]), 0, TAX)
    assert retained.until == latest.replace(year=latest.year + 7)
    # The subject reads the data map's label (here no description: the table name in words).
    assert retained.describe() == f"invoices: {retained.rows} row(s) kept until {retained.until} — {TAX}"


def test_a_second_run_changes_nothing(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    first = erase(datamap, alice.identifiers)
    erased = snapshot(sample_app.url)
    for identifiers in (alice.identifiers, {"customer_id": alice.account_id}):
        again = erase(datamap, identifiers)
        assert again.changed == 0 and snapshot(sample_app.url) == erased
    assert first.changed > 0 and first.sources == ("app",)


def test_dry_run_counts_and_writes_nothing(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    before = snapshot(sample_app.url)
    dry = erase(datamap, alice.identifiers, dry_run=True)
    assert snapshot(sample_app.url) == before and dry.dry_run
    real = erase(datamap, alice.identifiers)
    assert [(t.table, t.rows, t.changed, t.kept) for t in dry.tables] == \
        [(t.table, t.rows, t.changed, t.kept) for t in real.tables]


def test_account_is_deleted_when_nothing_kept_refers_to_it(sample_app):
    datamap = variant(sample_app, f'{{retain: {{basis: "{TAX}", until: 7 years, from: issued_at}}}}', "delete")
    alice = sample_app.subject("alice@example.com")
    outcome = by_table(erase(datamap, alice.identifiers))
    after = snapshot(sample_app.url)
    assert alice.account_id not in rows_by_id(after, "accounts")
    assert not set(rows_by_id(after, "invoices")) & alice.rows["invoices"]
    assert (outcome["accounts"].changed, outcome["accounts"].kept) == (1, 0)


def test_hash_and_redact(sample_app):
    datamap = variant(sample_app, "categories: {email: user.contact.email, body: user.content}",
                      "categories: {email: user.contact.email, body: user.content}\n        erasure: "
                      "{anonymize: {email: hash, body: redact, subject_line: {redact: '[removed]'}}}")
    bob = sample_app.subject("bob@example.com")
    before = rows_by_id(snapshot(sample_app.url), "support_tickets")
    erase(datamap, bob.identifiers)
    after = rows_by_id(snapshot(sample_app.url), "support_tickets")
    for ticket in bob.rows["support_tickets"]:
        expected = hmac.new(KEY, before[ticket][3].encode(), hashlib.sha256).hexdigest()
        assert after[ticket][2:6] == (None, expected, "[removed]", "[redacted]")
    erased = snapshot(sample_app.url)
    assert erase(datamap, bob.identifiers).changed == 0 and snapshot(sample_app.url) == erased


def test_more_than_500_rows_go_in_chunks(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    statements = []
    sa.event.listen(engine_for(datamap.sources[0]), "before_cursor_execute",
                    lambda *args: statements.append(args[2]))
    outcome = by_table(erase(datamap, alice.identifiers))
    assert outcome["messages"].changed == len(alice.rows["messages"]) > 500
    deletes = [s for s in statements if s.lstrip().upper().startswith("DELETE FROM MESSAGES")]
    assert len(deletes) == 2  # 500 keys, then the rest
    catalog = ("pragma", "sqlite_master", "pg_catalog", "information_schema", "pg_get_", "current_schema",
               "select pg_", "show ", "version()")
    data = [s for s in statements if not any(word in s.lower() for word in catalog)]
    assert len(data) < 30, data  # never one statement per row


def test_visitor_known_only_by_a_ticket(sample_app, datamap):
    carol = sample_app.subject("carol.visitor@example.com")
    before = snapshot(sample_app.url)
    outcome = erase(datamap, carol.identifiers)
    after = snapshot(sample_app.url)
    assert [(t.table, t.changed) for t in outcome.tables if t.changed] == [("support_tickets", 1)]
    assert before["support_tickets"] - after["support_tickets"] == {
        row for row in before["support_tickets"] if row[0] in carol.rows["support_tickets"]}


def test_a_down_source_stops_with_the_done_sources_reported(sample_app):
    datamap = parse_datamap(sample_datamap_yaml(sample_app.url) + DOWN_SOURCE)
    alice = sample_app.subject("alice@example.com")
    with pytest.raises(PartialErasure) as caught:
        erase(datamap, alice.identifiers)
    assert isinstance(caught.value, SourceUnavailable)
    assert caught.value.outcome.sources == ("app",) and caught.value.details["completed_sources"] == ["app"]
    assert 'source "billing" could not be reached' in caught.value.message and "hunter2" not in caught.value.message
    assert not set(rows_by_id(snapshot(sample_app.url), "messages")) & alice.rows["messages"]


def test_a_down_first_source_means_nothing_written(sample_app):
    text = sample_datamap_yaml(sample_app.url).replace("sources:\n", "sources:\n" + DOWN_SOURCE, 1)
    datamap = parse_datamap(text)
    before = snapshot(sample_app.url)
    with pytest.raises(PartialErasure) as caught:
        erase(datamap, {"email": "alice@example.com"})
    assert caught.value.outcome.sources == () and snapshot(sample_app.url) == before


def test_a_failure_inside_a_source_rolls_the_whole_source_back(sample_app, datamap):
    alice = sample_app.subject("alice@example.com")
    engine = sa.create_engine(sample_app.url)
    with engine.begin() as conn:  # an unmapped table that still points at her conversations
        conn.execute(sa.text("CREATE TABLE conversation_tags (id INTEGER PRIMARY KEY, "
                             "conversation_id INTEGER NOT NULL REFERENCES conversations (id))"))
        conn.execute(sa.text("INSERT INTO conversation_tags VALUES (1, :c)"),
                     {"c": min(alice.rows["conversations"])})
    engine.dispose()
    before = snapshot(sample_app.url)
    with pytest.raises(ConfigurationError) as caught:
        erase(datamap, alice.identifiers)
    assert 'cannot delete rows of "conversations"' in caught.value.message
    assert snapshot(sample_app.url) == before  # messages were deleted first, then rolled back


def test_rows_that_must_keep_a_not_null_link_keep_their_parent_as_a_shell(sample_app):
    text = sample_datamap_yaml(sample_app.url).replace(
        f'{{retain: {{basis: "{TAX}", until: 7 years, from: issued_at}}}}', "delete").replace(
        "categories: {title: user.content}", "categories: {title: user.content}\n"
        "        erasure: {anonymize: {title: redact}}")
    alice = sample_app.subject("alice@example.com")
    outcome = by_table(erase(parse_datamap(text), alice.identifiers))
    after = snapshot(sample_app.url)
    # conversations.account_id is NOT NULL: the anonymized conversations still point at the account.
    assert {row[0]: row[1:3] for row in after["conversations"] if row[0] in alice.rows["conversations"]} == \
        {conversation: (alice.account_id, "[redacted]") for conversation in alice.rows["conversations"]}
    assert rows_by_id(after, "accounts")[alice.account_id][2].startswith("erased-")
    assert outcome["accounts"].kept == 1 and "conversations" in outcome["accounts"].note
    assert not set(rows_by_id(after, "messages")) & alice.rows["messages"]


@pytest.mark.parametrize("strategy", ["redact", "hash", "null", "ip_level_2", "{redact: '[gone]'}"])
def test_erasure_and_retention_anonymize_alike_even_an_empty_value(sample_app, strategy):
    """One implementation of the strategies: what erasure writes is what retention's
    python_value gives (and so what its SQL gives): an empty value stays empty."""
    from dsar.retention.statements import python_value

    datamap = variant(sample_app, "categories: {email: user.contact.email, body: user.content}",
                      "categories: {email: user.contact.email, body: user.content}\n        erasure: "
                      f"{{anonymize: {{body: {strategy}}}}}")
    bob = sample_app.subject("bob@example.com")
    tickets = sorted(bob.rows["support_tickets"])
    engine = sa.create_engine(sample_app.url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE support_tickets SET body = NULL WHERE id = :id"), {"id": tickets[0]})
    engine.dispose()
    before = rows_by_id(snapshot(sample_app.url), "support_tickets")
    erase(datamap, bob.identifiers)
    after = rows_by_id(snapshot(sample_app.url), "support_tickets")
    (table,) = [t for t in datamap.sources[0].tables if t.name == "support_tickets"]
    rule = dict(table.erasure.columns)["body"]
    for ticket in tickets:
        assert after[ticket][5] == python_value(rule, before[ticket][5], KEY)
    assert after[tickets[0]][5] is None  # redact of NULL: NULL, as retention does
