"""The link graph: orderings for erasure, paths for the check report, cycles, reachability."""
from __future__ import annotations

import textwrap

from dsar.datamap.graph import (children_first, describe_reach, find_cycle, parents_first, path_to_identity,
                                reachable)
from dsar.datamap.loader import parse_datamap

SOURCE = parse_datamap(textwrap.dedent("""\
    tenant: acme
    sources:
      - name: app
        url: sqlite:///app.db
        tables:
          - {name: attachments, primary_key: id, link: {message_id: messages.id}}
          - {name: messages, primary_key: id, link: {conversation_id: conversations.id}}
          - {name: conversations, primary_key: id, link: {account_id: accounts.id}}
          - {name: accounts, primary_key: id, identity: {email: email}}
          - {name: tickets, primary_key: id, identity: {email: contact}, link: {account_id: accounts.id}}
          - {name: logs, retention: {after: 90 days, from: at, action: delete}}
    """)).sources[0]


def names(tables):
    return [table.name for table in tables]


def test_parents_come_before_children_and_erasure_reverses_it():
    order = names(parents_first(SOURCE))
    assert order.index("accounts") < order.index("conversations") < order.index("messages") < order.index("attachments")
    assert "logs" not in order
    assert names(children_first(SOURCE)) == list(reversed(order))


def test_path_over_several_hops():
    path = path_to_identity(SOURCE, "attachments")
    assert [(child, link.table) for child, link in path] == [
        ("attachments", "messages"), ("messages", "conversations"), ("conversations", "accounts")]
    assert path_to_identity(SOURCE, "accounts") == []


def test_describe_reach_in_words():
    assert describe_reach(SOURCE, "messages") == (
        "messages.conversation_id → conversations.id, conversations.account_id → accounts.id; "
        "accounts found by email")
    assert describe_reach(SOURCE, "accounts") == "found by email (accounts.email)"
    assert describe_reach(SOURCE, "tickets") == (
        "found by email (tickets.contact); or tickets.account_id → accounts.id; accounts found by email")
    assert describe_reach(SOURCE, "logs") == "not part of requests (retention only)"


def test_find_cycle_and_reachable():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": []}) is None
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert reachable({"a": ["b"], "b": ["root"], "c": ["d"], "d": []}, ["root"]) == {"root", "a", "b"}
