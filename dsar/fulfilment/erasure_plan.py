"""The erasure plan: the subject's rows of one source by their full key, and which of them
erasure must keep whatever the strategy says (SPEC §5), decided before anything is written.

* **still someone else's** (``OUTSIDE``) — a row that a row *outside* the subject's set
  equals through any link of the map (a shared address, a product in other orders, a
  message whose other party is another person), or whose second column of one identity
  kind names another person (``alt_email``). Never changed nor deleted.
* **needed by kept rows** (``NEEDED``) — a row of a ``delete`` table that surviving rows of
  the subject still refer to (the account behind retained orders): kept as a shell.

A link "refers" from the side whose column is not the key towards the side whose column
is its table's key (``orders.customer_id → customer.id``); where neither or both are keys,
both sides count. The declared key must be the table's primary key or a unique
constraint: every write names rows by it.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from dsar.datamap.graph import children_first
from dsar.datamap.model import Anonymize, Delete, Source, Table
from dsar.datamap.sources import DataMapMismatch, column, reading, same_type
from dsar.fulfilment.discovery import SubjectRows

OUTSIDE = "other people's records still point at them"
NEEDED = "kept records of this person refer to them"

@dataclass(frozen=True)
class Edge:
    """One link seen from ``table``: ``table.mine`` equals ``other.theirs``."""

    other: str
    mine: str
    theirs: str
    refers: bool  # whether ``table``'s rows refer to ``other``'s (its column is not the key)
    declared_here: bool


def edges(source: Source, name: str) -> list[Edge]:
    """Every link touching table ``name``, declared on it or on the other table."""
    found = []
    for table in source.tables:
        for link in table.links:
            if table.name == name:
                found.append(_edge(source, table.name, link.column, link.table, link.target_column, True))
            elif link.table == name:
                found.append(_edge(source, name, link.target_column, table.name, link.column, False))
    return found


def _edge(source: Source, name: str, mine: str, other: str, theirs: str, declared_here: bool) -> Edge:
    my_key = source.table(name).key == (mine,)
    their_key = source.table(other).key == (theirs,)
    return Edge(other, mine, theirs, refers=their_key or not my_key, declared_here=declared_here)


class Plan:
    """The subject's keys per table and which rows are kept, and why; made before any write."""

    def __init__(self, connection: sa.Connection, source: Source, rows: SubjectRows):
        self.connection = connection
        self.source = source
        self.rows = rows
        self.keys: dict[str, list[tuple]] = {}
        self.values: dict[str, dict[tuple, dict[str, object]]] = {}  # key -> linked column values
        self.kept: dict[str, dict[tuple, str]] = {}  # key -> why
        self.needed_by: dict[str, set[str]] = {}  # table -> tables whose kept rows refer to its rows
        for table in children_first(source):
            self._check_key(table)
            with reading(source, table.name, "planning the erasure of"):
                self._resolve(table)
                self.kept[table.name] = {key: OUTSIDE for key in self._still_someone_elses(table)}
        self._keep_what_kept_rows_need()

    # ----- reading -----

    def sql(self, name: str) -> sa.Table:
        return self.rows.tables[name]

    def _check_key(self, table: Table) -> None:
        """The declared key must be the table's primary key or a unique constraint: every
        write names rows by it, and a key that is not unique would reach other people's rows."""
        live = self.sql(table.name)
        declared = set(table.key)
        uniques = [{c.name for c in live.primary_key.columns}]
        uniques += [{c.name for c in constraint.columns} for constraint in live.constraints
                    if isinstance(constraint, sa.UniqueConstraint)]
        uniques += [{c.name for c in index.columns} for index in live.indexes if index.unique]
        if declared not in uniques:
            raise DataMapMismatch(
                f'table "{table.name}" of source "{self.source.name}": primary_key '
                f'{", ".join(table.key)} is not the table\'s primary key or a unique constraint, so erasure '
                "could reach other people's rows; nothing was erased (dsar datamap check)",
                details={"source": self.source.name, "table": table.name})

    def _resolve(self, table: Table) -> None:
        live = self.sql(table.name)
        names = list(dict.fromkeys([edge.mine for edge in edges(self.source, table.name)]
                                   + [name for name, _ in table.files]))
        extra = [column(live, name, self.source) for name in names]
        width = len(table.key)
        result = self.connection.execute(self.rows.select_keys(table.name, *extra)).all()
        self.keys[table.name] = [tuple(row[:width]) for row in result]
        self.values[table.name] = {tuple(row[:width]): dict(zip(names, row[width:])) for row in result}

    def _still_someone_elses(self, table: Table) -> set[tuple]:
        """Keys of the subject's rows that rows outside the subject's set equal through a
        link, or whose other identity columns name someone else: one query per link."""
        live = self.sql(table.name)
        conditions = []
        for edge in edges(self.source, table.name):
            other = self.sql(edge.other)
            mine, theirs = column(live, edge.mine, self.source), column(other, edge.theirs, self.source)
            if not same_type(mine, theirs):
                theirs = sa.cast(theirs, mine.type)
            outside = sa.case((self.rows.where(edge.other), 0), else_=1) == 1
            conditions.append(mine.in_(sa.select(theirs).where(outside, theirs.is_not(None)).correlate(None)))
        conditions += self._names_someone_else(table)
        if not conditions:
            return set()
        keys = self.rows.keys(table.name)
        statement = sa.select(*keys).where(self.rows.where(table.name), sa.or_(*conditions))
        return {tuple(row) for row in self.connection.execute(statement)}

    def _names_someone_else(self, table: Table) -> list[sa.ColumnElement[bool]]:
        """A kind with several columns (``email``, ``alt_email``) whose other column holds a
        value that is not the subject's: the row is someone else's too."""
        live, found = self.sql(table.name), []
        for kind in dict.fromkeys(kind for kind, _ in table.identity):
            columns = table.identity_columns(kind)
            value = self.rows.identifiers.get(kind)
            if len(columns) < 2 or value is None:
                continue
            for name in columns:
                col = column(live, name, self.source)
                if kind == "email":
                    found.append(sa.and_(col.is_not(None), sa.func.lower(col) != str(value).strip().lower()))
                else:
                    found.append(sa.and_(col.is_not(None), sa.cast(col, sa.String) != str(value)))
        return found

    # ----- what kept rows need -----

    def doomed_files(self, table: Table) -> list[tuple[str, str]]:
        """(store, key) of the files named by the rows of ``table`` that erasure deletes or
        keeps only as a shell (what identifies the person emptied, its files included); a
        retained or anonymized row, or one that is still someone else's, keeps its file."""
        if not table.files or not isinstance(table.erasure_strategy, Delete):
            return []
        kept = self.kept[table.name]
        return [(store, str(value)) for key in self.keys[table.name] if kept.get(key) != OUTSIDE
                for name, store in table.files
                if (value := self.values[table.name][key].get(name)) not in (None, "")]

    def survives(self, table: Table, key: tuple) -> bool:
        return key in self.kept[table.name] or not isinstance(table.erasure_strategy, Delete)

    def _keep_what_kept_rows_need(self) -> None:
        """Rows of ``delete`` tables that surviving rows of the subject still refer to stay
        (until nothing changes: a kept row may need another)."""
        changed = True
        while changed:
            changed = False
            for table in self.source.tables:
                if table.name not in self.keys or not isinstance(table.erasure_strategy, Delete):
                    continue
                for key, referrers in self._needed(table).items():
                    self.needed_by.setdefault(table.name, set()).update(referrers)
                    if key not in self.kept[table.name]:
                        self.kept[table.name][key] = NEEDED
                        changed = True

    def _needed(self, table: Table) -> dict[tuple, set[str]]:
        """Keys of ``table``'s subject rows that surviving subject rows of other tables refer
        to, each with the names of those tables."""
        wanted: list[tuple[str, set, str]] = []  # (my column, values referred to, referring table)
        for edge in edges(self.source, table.name):
            referrer = self.source.table(edge.other)
            if edge.other not in self.keys or not _refers_back(self.source, table.name, edge):
                continue
            if self.detaches(referrer, edge.theirs, table.name):
                continue
            values = {self.values[edge.other][key].get(edge.theirs) for key in self.keys[edge.other]
                      if self.survives(referrer, key)}
            wanted.append((edge.mine, values - {None}, edge.other))
        found: dict[tuple, set[str]] = {}
        for key in self.keys[table.name]:
            for name, values, referrer in wanted:
                if _same(self.values[table.name][key].get(name), values):
                    found.setdefault(key, set()).add(referrer)
        return found

    def detaches(self, table: Table, link_column: str, parent: str) -> bool:
        """Whether anonymized rows of ``table`` empty their link to ``parent`` (nullable, and
        the parent's rows are deleted) instead of keeping the parent."""
        return (isinstance(table.erasure_strategy, Anonymize)
                and isinstance(self.source.table(parent).erasure_strategy, Delete)
                and self.sql(table.name).c[link_column].nullable
                and any(link.column == link_column and link.table == parent for link in table.links))

    def detached_links(self, table: Table) -> list[str]:
        return list(dict.fromkeys(link.column for link in table.links if self.detaches(table, link.column, link.table)))


def _refers_back(source: Source, name: str, edge: Edge) -> bool:
    """Whether rows of ``edge.other`` refer to rows of ``name`` through this link."""
    mirror = _edge(source, edge.other, edge.theirs, name, edge.mine, not edge.declared_here)
    return mirror.refers


def _same(value, values: set) -> bool:
    return value is not None and (value in values or str(value) in {str(v) for v in values})
