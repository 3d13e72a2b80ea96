"""How each table of a source is reached from the subject's identity, through links.

A link ``conversations.account_id → accounts.id`` makes ``accounts`` a *parent* of
``conversations``. The loader uses the generic helpers (cycles, reachability) on the raw
document; discovery and erasure use the orderings on the validated model.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from dsar.datamap.model import Link, Source, Table


def find_cycle(parents: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of links as ``[a, b, …, a]``, or None when the links form a DAG."""
    state: dict[str, str] = {}  # "active" while on the DFS stack, "done" after

    def visit(node: str, stack: list[str]) -> list[str] | None:
        state[node] = "active"
        stack.append(node)
        for parent in parents.get(node, ()):
            if state.get(parent) == "active":
                return stack[stack.index(parent):] + [parent]
            if parent not in state and (cycle := visit(parent, stack)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in parents:
        if node not in state and (cycle := visit(node, [])):
            return cycle
    return None


def reachable(parents: Mapping[str, Iterable[str]], roots: Iterable[str]) -> set[str]:
    """Tables that lead to one of ``roots`` (identity tables) by following links."""
    children: dict[str, set[str]] = {}
    for child, linked in parents.items():
        for parent in linked:
            children.setdefault(parent, set()).add(child)
    seen = set(roots)
    queue = deque(seen)
    while queue:
        for child in children.get(queue.popleft(), ()):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return seen


def parents_of(source: Source) -> dict[str, list[str]]:
    return {table.name: [link.table for link in table.links] for table in source.tables}


def parents_first(source: Source) -> list[Table]:
    """The tables requests reach, each after every table it links to."""
    order: list[Table] = []
    placed: set[str] = set()
    pending = [table for table in source.tables if table.takes_part]
    while pending:
        ready = [t for t in pending if all(link.table in placed for link in t.links)]
        if not ready:  # the loader rejects cycles; this guards a hand-built model
            raise ValueError(f"link cycle among {', '.join(t.name for t in pending)}")
        for table in ready:
            order.append(table)
            placed.add(table.name)
        pending = [t for t in pending if t.name not in placed]
    return order


def children_first(source: Source) -> list[Table]:
    """The erasure order: a table's rows go before the rows they point at."""
    return list(reversed(parents_first(source)))


def children_of(source: Source, name: str) -> list[tuple[Table, Link]]:
    """Every (table, link) whose link points at table ``name``."""
    return [(table, link) for table in source.tables for link in table.links if link.table == name]


def path_to_identity(source: Source, name: str) -> list[tuple[str, Link]]:
    """The shortest chain of links from table ``name`` to a table with an identity.

    Empty for an identity table itself (or for a table requests do not reach).
    """
    return [] if source.table(name).identity else _shortest_link_path(source, name)


def _shortest_link_path(source: Source, name: str) -> list[tuple[str, Link]]:
    queue: deque[tuple[Table, list[tuple[str, Link]]]] = deque([(source.table(name), [])])
    seen = {name}
    while queue:
        table, path = queue.popleft()
        for link in table.links:
            step = path + [(table.name, link)]
            parent = source.table(link.table)
            if parent.identity:
                return step
            if link.table not in seen:
                seen.add(link.table)
                queue.append((parent, step))
    return []


def describe_reach(source: Source, name: str) -> str:
    """How a table is found, in words: ``messages.conversation_id → conversations.id, …``."""
    table = source.table(name)
    if not table.takes_part:
        return "not part of requests (retention only)"
    ways = []
    if table.identity:
        ways.append("found by " + ", ".join(f"{kind} ({name}.{column})" for kind, column in table.identity))
    path = _shortest_link_path(source, name)
    if path:
        hops = ", ".join(f"{child}.{link.column} → {link.table}.{link.target_column}" for child, link in path)
        root = source.table(path[-1][1].table)
        ways.append(f"{hops}; {root.name} found by {', '.join(kind for kind, _ in root.identity)}")
    return "; or ".join(ways)
