"""Erase one data subject from the organisation's own databases (SPEC §6, Art. 17).

Per source, in ONE transaction: first resolve the subject's primary keys in every table
(before anything changes, so deleting a parent cannot hide its children), then apply each
table's mapped strategy, children before parents:

* ``delete`` — ``DELETE … WHERE pk IN (…)`` in chunks of 500 keys;
* ``anonymize`` — each column emptied, redacted, keyed-hashed or IP-masked; only rows whose
  values would change are written (so a re-run writes nothing);
* ``retain`` — untouched, reported with its legal basis and the latest end date among the
  subject's rows.

Decisions (a DPO should be able to read them here):

* A retained row must survive its parent: when retained rows (or rows whose link column is
  NOT NULL) point at a parent mapped ``delete``, those parent rows are *kept as anonymized
  shells*: their identity and category columns are emptied (NULL where the column allows
  it, an ``erased-…`` placeholder unique per row otherwise) and everything else, keys
  included, stays so the retained record remains whole. The outcome says so.
* An anonymized row whose parent is deleted is detached from it: its nullable link column
  is emptied too, since a key pointing at the erased person is itself personal data.
* ``hash`` leaves a value that already is a 64-hex digest alone, so erasing twice does not
  hash a hash.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy import exc

from dsar.datamap.graph import children_first
from dsar.datamap.model import Anonymize, ColumnStrategy, DataMap, Delete, Link, Retain, Source, Table
from dsar.datamap.sources import column, connect
from dsar.domain.ip_masking import mask_ip
from dsar.errors import ConfigurationError, DsarError, SourceUnavailable
from dsar.fulfilment.discovery import Identifiers, SubjectRows, subject_rows

CHUNK = 500
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class TableOutcome:
    """What erasure did to one table: ``rows`` found, ``changed`` written."""

    source: str
    table: str
    action: str  # delete | anonymize | retain
    rows: int
    changed: int = 0
    kept: int = 0  # rows of a ``delete`` table kept as anonymized shells for retained rows
    basis: str | None = None
    until: dt.date | None = None
    note: str = ""

    def describe(self) -> str:
        """One plain sentence for the result letter and the request timeline."""
        name = f"{self.source}.{self.table}"
        if self.action == "retain":
            end = f" until {self.until.isoformat()}" if self.until else ""
            return f"{name}: {self.rows} row(s) kept{end} — {self.basis}"
        if self.action == "anonymize":
            return f"{name}: {self.rows} row(s) anonymized ({self.note})"
        text = f"{name}: {self.rows - self.kept} row(s) deleted"
        if self.kept:
            text += f"; {self.kept} row(s) kept with personal data removed, {self.note}"
        return text


@dataclass(frozen=True)
class ErasureOutcome:
    tables: tuple[TableOutcome, ...]
    sources: tuple[str, ...]  # sources fully processed (committed, unless dry run)
    dry_run: bool
    at: dt.datetime

    @property
    def changed(self) -> int:
        return sum(t.changed for t in self.tables)

    @property
    def retained(self) -> list[TableOutcome]:
        return [t for t in self.tables if t.action == "retain" and t.rows]


class PartialErasure(SourceUnavailable):
    """A source was unreachable; ``outcome`` lists the sources already erased."""

    def __init__(self, error: SourceUnavailable, outcome: ErasureOutcome):
        done = ", ".join(outcome.sources) or "none"
        super().__init__(f"{error.message} (sources already erased: {done})",
                         details={**error.details, "completed_sources": list(outcome.sources)})
        self.outcome = outcome


def erase_subject(datamap: DataMap, identifiers: Identifiers, *, hash_key: bytes,
                  now: dt.datetime, dry_run: bool = False) -> ErasureOutcome:
    """Apply every table's erasure strategy to the subject's rows, one transaction per source.

    ``hash_key`` is the tenant's key for ``hash`` (stable per tenant). With ``dry_run`` only
    counts are computed. Raises PartialErasure (a SourceUnavailable) when a source is down:
    nothing is written there, and the sources before it are reported as done.
    """
    outcomes: list[TableOutcome] = []
    done: list[str] = []
    for source in datamap.sources:
        try:
            outcomes += _erase_source(source, identifiers, hash_key, now, dry_run)
        except SourceUnavailable as error:
            raise PartialErasure(error, ErasureOutcome(tuple(outcomes), tuple(done), dry_run, now)) from None
        done.append(source.name)
    return ErasureOutcome(tuple(outcomes), tuple(done), dry_run, now)


def _erase_source(source: Source, identifiers: Identifiers, hash_key: bytes,
                  now: dt.datetime, dry_run: bool) -> list[TableOutcome]:
    with connect(source, transaction=not dry_run) as connection:
        plan = _Plan(connection, source, subject_rows(connection, source, identifiers))
        eraser = _Eraser(connection, plan, hash_key, now, dry_run)
        return [eraser.apply(table) for table in children_first(source)]


class _Plan:
    """The subject's keys per table, and which ``delete`` rows must stay as shells.

    Resolved entirely before any write, children first, so that when a parent is reached
    every child's kept rows are already known.
    """

    def __init__(self, connection: sa.Connection, source: Source, rows: SubjectRows):
        self.source = source
        self.rows = rows
        self.keys: dict[str, list] = {}
        self.pinned: dict[str, set] = {}
        self._refs: dict[tuple[str, str], set] = {}  # (parent, target column) -> kept values
        self.kept_by: dict[str, set[str]] = {}  # parent -> children whose kept rows point at it
        for table in children_first(source):
            self._resolve(connection, table)

    def _resolve(self, connection: sa.Connection, table: Table) -> None:
        sql_table = self.rows.tables[table.name]
        targets = {link.target_column for _, link in self.referrers(table.name)}
        names = list(dict.fromkeys([link.column for link in table.links] + sorted(targets)))
        position = {name: 1 + index for index, name in enumerate(names)}
        extra = [column(sql_table, name, self.source) for name in names]
        result = connection.execute(self.rows.select_keys(table.name, *extra)).all()
        self.keys[table.name] = [row[0] for row in result]
        kept_values = {col: self._refs.get((table.name, col), set()) for col in targets}
        self.pinned[table.name] = pinned = {
            row[0] for row in result if any(row[position[col]] in values for col, values in kept_values.items())}
        deleting = isinstance(table.erasure_strategy, Delete)
        for link in table.links:
            if self.keeps_link(table, link.column, link.table):
                kept = {row[position[link.column]] for row in result if not deleting or row[0] in pinned}
                self._refs.setdefault((link.table, link.target_column), set()).update(kept)
                if kept - {None}:
                    self.kept_by.setdefault(link.table, set()).add(table.name)

    def referrers(self, name: str) -> list[tuple[Table, Link]]:
        """(child, link) pairs pointing at table ``name``."""
        return [(child, link) for child in self.source.tables for link in child.links if link.table == name]

    def keeps_link(self, table: Table, link_column: str, parent: str) -> bool:
        """Whether rows of ``table`` that survive erasure keep pointing at ``parent``."""
        if not isinstance(self.source.table(parent).erasure_strategy, Delete):
            return False  # the parent stays anyway
        if isinstance(table.erasure_strategy, Anonymize):
            return not self.rows.tables[table.name].c[link_column].nullable
        return True  # retained rows, and shells of a deleted table, keep their links

    def detached_links(self, table: Table) -> list[str]:
        """Nullable link columns an anonymized table empties because the parent is deleted."""
        return [link.column for link in table.links
                if isinstance(self.source.table(link.table).erasure_strategy, Delete)
                and not self.keeps_link(table, link.column, link.table)]


@dataclass(frozen=True)
class _Rewrite:
    """How one column's new value is computed from (old value, primary key)."""

    column: str
    compute: Callable[[object, object], object]
    constant: bool = field(default=True)


class _Eraser:
    def __init__(self, connection: sa.Connection, plan: _Plan, hash_key: bytes,
                 now: dt.datetime, dry_run: bool):
        self.connection = connection
        self.plan = plan
        self.hash_key = hash_key
        self.now = now
        self.dry_run = dry_run

    def apply(self, table: Table) -> TableOutcome:
        keys = self.plan.keys[table.name]
        strategy = table.erasure_strategy
        outcome = TableOutcome(self.plan.source.name, table.name, strategy.kind, len(keys))
        if isinstance(strategy, Retain):
            until = self._retained_until(table, keys, strategy)
            return replace(outcome, basis=strategy.basis, until=until)
        if isinstance(strategy, Anonymize):
            rules = [self._rewrite(name, rule) for name, rule in strategy.columns]
            rules += [_Rewrite(name, _null) for name in self.plan.detached_links(table)]
            note = ", ".join(f"{name}: {rule}" for name, rule in strategy.columns)
            return replace(outcome, changed=self._anonymize(table, keys, rules), note=note)
        return self._delete(table, keys, outcome)

    def _delete(self, table: Table, keys: list, outcome: TableOutcome) -> TableOutcome:
        pinned = self.plan.pinned[table.name]
        doomed = [key for key in keys if key not in pinned]
        deleted = len(doomed)
        if not self.dry_run:
            sql_table, key_column = self.plan.rows.tables[table.name], self.plan.rows.key(table.name)
            try:
                deleted = sum(self.connection.execute(sa.delete(sql_table).where(key_column.in_(chunk))).rowcount
                              for chunk in _chunks(doomed))
            except exc.IntegrityError:
                raise ConfigurationError(
                    f'cannot delete rows of "{table.name}" in source "{self.plan.source.name}": another '
                    "table still refers to them; map that table (link) so erasure handles it first",
                    details={"source": self.plan.source.name, "table": table.name}) from None
        if not pinned:
            return replace(outcome, changed=deleted)
        shells = self._anonymize(table, sorted(pinned), self._shell_rules(table))
        referrers = sorted(self.plan.kept_by.get(table.name, ()))
        return replace(outcome, changed=deleted + shells, kept=len(pinned),
                        note="because kept rows of " + ", ".join(referrers) + " refer to them")

    def _shell_rules(self, table: Table) -> list[_Rewrite]:
        """Empty what identifies the person; keep keys so retained rows stay whole."""
        sql_table = self.plan.rows.tables[table.name]
        keep = {table.primary_key, *(link.column for link in table.links),
                *(link.target_column for _, link in self.plan.referrers(table.name))}
        names = dict.fromkeys([c for _, c in table.identity] + [c for c, _ in table.categories])
        rules = []
        for name in (n for n in names if n not in keep):
            if sql_table.c[name].nullable:
                rules.append(_Rewrite(name, _null))
            else:
                rules.append(_Rewrite(name, self._placeholder(table.name), constant=False))
        return rules

    def _rewrite(self, name: str, strategy: ColumnStrategy) -> _Rewrite:
        if strategy.kind == "null":
            return _Rewrite(name, _null)
        if strategy.kind == "redact":
            return _Rewrite(name, lambda value, key, text=strategy.text: text)
        if strategy.kind == "hash":
            return _Rewrite(name, self._hash, constant=False)
        return _Rewrite(name, lambda value, key, level=strategy.level: _mask(value, level), constant=False)

    def _hash(self, value, key):
        if value is None or (isinstance(value, str) and _DIGEST.fullmatch(value)):
            return value
        return hmac.new(self.hash_key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()

    def _placeholder(self, table_name: str) -> Callable[[object, object], str]:
        def placeholder(value, key) -> str:
            # Unique per row (NOT NULL columns are often UNIQUE too) and the same on every
            # run; derived from the row's key, never from the personal value.
            digest = hmac.new(self.hash_key, f"{table_name}:{key}".encode(), hashlib.sha256).hexdigest()
            return f"erased-{digest[:16]}"
        return placeholder

    def _anonymize(self, table: Table, keys: Sequence, rules: list[_Rewrite]) -> int:
        """Rewrite ``rules`` on the rows ``keys``; return how many rows actually change."""
        if not rules:
            return 0
        sql_table, key_column = self.plan.rows.tables[table.name], self.plan.rows.key(table.name)
        columns = [column(sql_table, rule.column, self.plan.source) for rule in rules]
        changed = 0
        for chunk in _chunks(keys):
            current = self.connection.execute(sa.select(key_column, *columns).where(key_column.in_(chunk)))
            updates = []
            for key, *old in current:
                new = [rule.compute(value, key) for rule, value in zip(rules, old)]
                if new != old:
                    updates.append((key, new))
            changed += len(updates)
            if updates and not self.dry_run:
                self._write(sql_table, key_column, rules, updates)
        return changed

    def _write(self, sql_table: sa.Table, key_column: sa.Column, rules: list[_Rewrite], updates: list) -> None:
        if all(rule.constant for rule in rules):
            # Same values for every row: one set-based UPDATE for the chunk.
            values = {rule.column: value for rule, value in zip(rules, updates[0][1])}
            statement = sa.update(sql_table).where(key_column.in_([key for key, _ in updates]))
            self.connection.execute(statement.values(values))
            return
        # Per-row values (hash, IP mask): one executemany round trip for the chunk.
        statement = (sa.update(sql_table).where(key_column == sa.bindparam("_key"))
                     .values({rule.column: sa.bindparam(f"_v{i}") for i, rule in enumerate(rules)}))
        self.connection.execute(statement, [
            {"_key": key, **{f"_v{i}": value for i, value in enumerate(new)}} for key, new in updates])

    def _retained_until(self, table: Table, keys: list, retain: Retain) -> dt.date | None:
        """The latest end of retention among the subject's rows (None if open-ended)."""
        if isinstance(retain.until, dt.date) or retain.until is None:
            return retain.until
        if retain.from_column is None:
            return retain.until.after(self.now.date())
        sql_table, key_column = self.plan.rows.tables[table.name], self.plan.rows.key(table.name)
        start = column(sql_table, retain.from_column, self.plan.source)
        latest = [_as_date(self.connection.execute(
            sa.select(sa.func.max(start)).where(key_column.in_(chunk))).scalar()) for chunk in _chunks(keys)]
        latest = [day for day in latest if day is not None]
        return retain.until.after(max(latest)) if latest else None


def _null(value, key):
    return None


def _mask(value, level: int):
    if value is None:
        return None
    try:
        return mask_ip(str(value), level)
    except DsarError:
        return None  # not an IP address at all: nothing of it may be kept


def _as_date(value) -> dt.date | None:
    """A timestamp column's value (a real timestamp, or ISO text on SQLite) as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def _chunks(items: Sequence, size: int = CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


