"""Retention over the sample customer database: scope, links, legal holds, dry run,
overrides, keyed hashing, and the Python path other engines take."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from dsar.datamap.loader import parse_datamap
from dsar.retention import enforcement
from dsar.retention.overrides import RetentionHold
from dsar.retention.statements import Flavour
from tests.retention.conftest import HASH_KEY, apply, create_table, datamap_for, rows
from tests.sample_app_db import BUSINESS, SAMPLE_NOW, create_sample_app, sample_datamap_yaml

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

NOW = SAMPLE_NOW.replace(tzinfo=timezone.utc)
TWELVE_MONTHS = datetime(2024, 6, 1, 12, 0)
TWO_YEARS = datetime(2023, 6, 1, 12, 0)
DAYS = lambda n: SAMPLE_NOW - timedelta(days=n)  # noqa: E731
TABLES = {
    "accounts": ("business_id",),
    "conversations": ("account_id", "created_at"),
    "messages": ("conversation_id", "created_at"),
    "widget_visits": ("account_id", "ip", "visited_at"),
    "support_tickets": ("business_id", "last_interaction_at"),
    "invoices": ("account_id", "issued_at"),
    "server_logs": ("ip", "logged_at"),
}


def snapshot(url: str) -> dict[str, dict]:
    return {table: rows(url, table, *columns) for table, columns in TABLES.items()}


def _dt(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def expected_after(before: dict[str, dict], held_accounts: frozenset = frozenset()) -> dict[str, dict]:
    """The sample data after acme's retention, worked out row by row in plain Python."""
    acme = {i for i, (business,) in before["accounts"].items() if business == BUSINESS} - held_accounts
    conversation_account = {i: account for i, (account, _) in before["conversations"].items()}
    messages = {i: row for i, row in before["messages"].items()
                if not (conversation_account[row[0]] in acme and _dt(row[1]) < TWELVE_MONTHS)}
    still_referred = {conversation for conversation, _ in messages.values()}
    conversations = {i: row for i, row in before["conversations"].items()
                     if not (row[0] in acme and _dt(row[1]) < TWELVE_MONTHS and i not in still_referred)}
    visits = {}
    for i, (account, ip, at) in before["widget_visits"].items():
        if account in acme and _dt(at) < DAYS(30):
            from dsar.domain.ip_masking import mask_ip
            ip = mask_ip(ip, 1)
        visits[i] = (account, ip, at)
    tickets = {i: row for i, row in before["support_tickets"].items()
               if not (row[0] == BUSINESS and _dt(row[1]) < TWO_YEARS)}
    logs = {i: row for i, row in before["server_logs"].items() if not _dt(row[1]) < DAYS(90)}
    return {**before, "messages": messages, "conversations": conversations, "widget_visits": visits,
            "support_tickets": tickets, "server_logs": logs}


@pytest.fixture
def sample(source_url):
    app = create_sample_app(source_url, subjects=6, heavy_messages=40)
    return app, parse_datamap(sample_datamap_yaml(app.url), name="acme.yml")


def test_rules_touch_exactly_the_tenants_expired_rows(sample):
    app, datamap = sample
    before = snapshot(app.url)

    ctx = apply(datamap, NOW, batch_size=7)

    assert ctx.errors == []
    after = snapshot(app.url)
    assert after == expected_after(before)
    assert ctx.stats["app.messages: delete after 12 months"] == len(before["messages"]) - len(after["messages"]) > 0
    assert ctx.stats["app.server_logs: delete after 90 days"] > 0
    assert ctx.stats["app.invoices: delete after 7 years"] == 0
    # Business 7 shares the database: none of its rows moved.
    other = {i for i, (business,) in before["accounts"].items() if business != BUSINESS}
    assert other and all(row in after["widget_visits"].values()
                         for row in before["widget_visits"].values() if row[0] in other)


def test_a_second_run_finds_nothing_left_to_do(sample):
    app, datamap = sample
    apply(datamap, NOW, batch_size=5)
    first = snapshot(app.url)

    again = apply(datamap, NOW, batch_size=5)

    assert snapshot(app.url) == first
    assert set(again.stats.values()) == {0}


def test_a_dry_run_counts_and_writes_nothing(sample):
    app, datamap = sample
    before = snapshot(app.url)

    dry = apply(datamap, NOW, dry_run=True, batch_size=3)

    assert snapshot(app.url) == before
    real = apply(datamap, NOW, batch_size=3)
    assert dry.stats.keys() == real.stats.keys()
    for label in ("app.messages: delete after 12 months", "app.server_logs: delete after 90 days",
                  "app.support_tickets: delete after 2 years", "app.widget_visits: anonymize_ip ip (level 1) after 30 days"):
        assert dry.stats[label] == real.stats[label] > 0
    # Conversations freed by the messages this run deletes are predicted too: the counts are exact.
    assert dry.stats == real.stats


def test_a_legal_hold_keeps_the_rows_and_everything_linked_to_them(sample):
    app, datamap = sample
    held = app.subjects[0]  # the subject with the many messages
    before = snapshot(app.url)

    ctx = apply(datamap, NOW, holds=[RetentionHold("app", "accounts", "id", str(held.account_id), "litigation")])

    assert ctx.errors == []
    after = snapshot(app.url)
    assert after == expected_after(before, held_accounts=frozenset({held.account_id}))
    for table in ("conversations", "messages", "widget_visits"):
        assert {i: before[table][i] for i in held.rows[table]} == {i: after[table][i] for i in held.rows[table]}


def test_a_shorter_override_applies_and_a_longer_one_never_lengthens(sample):
    app, datamap = sample
    before = snapshot(app.url)

    longer = apply(datamap, NOW, actions=("delete",), overrides={"app.server_logs": "1 year"})
    assert longer.stats["app.server_logs: delete after 90 days"] == \
        sum(1 for _, at in before["server_logs"].values() if _dt(at) < DAYS(90))

    shorter = apply(datamap, NOW, actions=("delete",), overrides={"app.server_logs": "30 days"})
    assert "app.server_logs: delete after 30 days" in shorter.stats
    assert {i for i, (_, at) in rows(app.url, "server_logs", "ip", "logged_at").items()} == \
        {i for i, (_, at) in before["server_logs"].items() if _dt(at) >= DAYS(30)}


def people(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("people", metadata,
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("email", sa.String(200)),
                    sa.Column("name", sa.String(200)),
                    sa.Column("note", sa.Text),
                    sa.Column("ip", sa.String(45)),
                    sa.Column("left_at", sa.DateTime, nullable=False))


PEOPLE = [
    {"id": 1, "email": "ann@example.com", "name": "Ann", "note": "vip", "ip": "10.9.8.7"},
    {"id": 2, "email": None, "name": "Bo", "note": None, "ip": "2001:db8::77"},
    {"id": 3, "email": "a" * 64, "name": None, "note": "x", "ip": None},  # already a digest: kept
    {"id": 4, "email": "cy@example.com", "name": "Cy", "note": "y", "ip": "01.2.3.4"},  # no address to Python
]
PEOPLE_MAP = """\
      - name: people
        primary_key: id
        retention:
          - {after: 1 year, from: left_at, action: anonymize, columns: {email: hash, name: null, note: {redact: gone}, ip: ip_level_2}}
"""


def _digest(value: str) -> str:
    return hmac.new(HASH_KEY, value.encode(), hashlib.sha256).hexdigest()


EXPECTED_PEOPLE = {
    1: (_digest("ann@example.com"), None, "gone", "10.9.0.0"),
    2: (None, None, None, "2001:db8::"),
    3: ("a" * 64, None, "gone", None),
    4: (_digest("cy@example.com"), None, "gone", None),
}


def _people(url: str) -> None:
    create_table(url, people(sa.MetaData()), [{**p, "left_at": datetime(2020, 1, 1)} for p in PEOPLE])


def test_column_strategies_null_redact_keyed_hash_and_ip(source_url):
    _people(source_url)
    datamap = datamap_for(source_url, PEOPLE_MAP)

    dry = apply(datamap, NOW, dry_run=True)
    ctx = apply(datamap, NOW)

    assert ctx.errors == []
    assert rows(source_url, "people", "email", "name", "note", "ip") == EXPECTED_PEOPLE
    # Row 4's address is odd: Python does all its columns, and it is counted once.
    assert list(dry.stats.values()) == list(ctx.stats.values()) == [4]
    assert list(apply(datamap, NOW).stats.values()) == [0]


def test_engines_without_sql_rewrites_get_the_same_result_in_python(source_url, monkeypatch):
    _people(source_url)
    datamap = datamap_for(source_url, PEOPLE_MAP)
    monkeypatch.setattr(enforcement, "flavour_for", lambda name: Flavour())
    statements = []
    from dsar.datamap.sources import engine_for
    engine = engine_for(datamap.sources[0])
    listener = lambda conn, cursor, statement, params, context, many: statements.append(statement)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        dry = apply(datamap, NOW, dry_run=True, batch_size=3)
        assert rows(source_url, "people", "email", "name", "note", "ip")[1][0] == "ann@example.com"
        ctx = apply(datamap, NOW, batch_size=3)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)

    assert rows(source_url, "people", "email", "name", "note", "ip") == EXPECTED_PEOPLE
    assert list(dry.stats.values()) == list(ctx.stats.values()) == [4]
    assert sum(1 for s in statements if s.startswith("UPDATE")) == 2  # one executemany per batch of 3


def test_a_broken_rule_is_reported_and_the_others_still_run(source_url):
    _people(source_url)
    datamap = datamap_for(source_url, """\
      - name: people
        primary_key: id
        retention:
          - {after: 1 year, from: no_such_column, action: delete}
          - {after: 1 year, from: left_at, action: anonymize, columns: {name: null}}
""")
    ctx = apply(datamap, NOW)

    assert ctx.errors == ['app.people: delete after 1 year: column "people.no_such_column" of source "app" does not '
                          'exist (dsar datamap check lists every mismatch)']
    assert ctx.stats["app.people: anonymize name after 1 year"] == 3


THREADS_MAP = """\
      - name: threads
        primary_key: id
        identity: {email: author_email}
        retention: {after: 12 months, from: created_at, action: delete}
      - name: posts
        primary_key: id
        link: {thread_id: threads.id}
        retention: {after: 12 months, from: created_at, action: delete}
      - name: reactions
        primary_key: id
        link: {post_id: posts.id}
        retention: {after: 12 months, from: created_at, action: delete}
"""


def _threads(url: str) -> None:
    """Three generations, foreign keys enforced: a thread goes only once its posts have gone."""
    old, fresh = SAMPLE_NOW - timedelta(days=400), SAMPLE_NOW - timedelta(days=10)
    meta = sa.MetaData()
    threads = sa.Table("threads", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("author_email", sa.Text),
                       sa.Column("created_at", sa.DateTime))
    posts = sa.Table("posts", meta, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("thread_id", sa.ForeignKey("threads.id")), sa.Column("created_at", sa.DateTime))
    reactions = sa.Table("reactions", meta, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("post_id", sa.ForeignKey("posts.id")), sa.Column("created_at", sa.DateTime))
    create_table(url, threads, [{"id": 1, "created_at": old},    # all of it expired: goes whole
                                {"id": 2, "created_at": old},    # one fresh post: stays
                                {"id": 3, "created_at": old},    # a fresh reaction two levels down: stays
                                {"id": 4, "created_at": fresh}])  # itself fresh: stays
    create_table(url, posts, [{"id": 10, "thread_id": 1, "created_at": old}, {"id": 11, "thread_id": 1, "created_at": old},
                              {"id": 20, "thread_id": 2, "created_at": old}, {"id": 21, "thread_id": 2, "created_at": fresh},
                              {"id": 30, "thread_id": 3, "created_at": old}, {"id": 40, "thread_id": 4, "created_at": old}])
    create_table(url, reactions, [{"id": 100, "post_id": 10, "created_at": old},
                                  {"id": 300, "post_id": 30, "created_at": fresh}])


def test_parents_go_in_the_same_run_as_their_expired_children_and_the_dry_run_says_so(source_url):
    _threads(source_url)
    datamap = datamap_for(source_url, THREADS_MAP)

    dry = apply(datamap, NOW, dry_run=True)
    ctx = apply(datamap, NOW)

    assert ctx.errors == [] and dry.errors == []
    assert set(rows(source_url, "threads")) == {2, 3, 4}
    assert set(rows(source_url, "posts")) == {21, 30}
    assert set(rows(source_url, "reactions")) == {300}
    assert ctx.stats == {"app.threads: delete after 12 months": 1, "app.posts: delete after 12 months": 4,
                         "app.reactions: delete after 12 months": 1}
    assert dry.stats == ctx.stats
    assert set(apply(datamap, NOW).stats.values()) == {0}
