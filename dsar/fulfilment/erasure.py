"""Erase one data subject from the organisation's own databases (SPEC §6, Art. 17).

Per source, in ONE transaction: first the *plan* — the subject's rows in every table, by
their full key, and which of them must be kept — then each table's mapped strategy,
children before parents. Nothing is written before the whole plan of the source is made,
so a mistake the plan finds (a key that is not unique, a column that is gone) writes
nothing. Every DELETE and UPDATE names rows by their full key (composite keys included).

* ``delete`` — ``DELETE … WHERE key IN (…)`` in chunks of 500 keys;
* ``anonymize`` — each column rewritten by the one implementation of the strategies
  (:func:`dsar.retention.statements.python_value`, shared with retention); only rows
  whose values would change are written, so a re-run writes nothing;
* ``retain`` (and a ``shared`` table, by default) — untouched, reported with its basis and
  the latest end date among the subject's rows.

Rows that are kept whatever the strategy says — still someone else's (never changed), or
needed by the subject's kept rows (a shell: identity and category columns emptied, NULL or
an ``erased-…`` placeholder unique per row where the column is NOT NULL) — are decided by
the plan (:mod:`dsar.fulfilment.erasure_plan`) and listed in the outcome with why. An
anonymized row whose parent is deleted has its nullable link column emptied: a key
pointing at the erased person is itself personal data.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy import exc

from dsar.datamap.graph import children_first
from dsar.datamap.model import Anonymize, DataMap, Retain, Source, Table
from dsar.datamap.sources import column, connect, reading
from dsar.errors import ConfigurationError, SourceUnavailable
from dsar.files.deletions import FileJournal, FilesDone
from dsar.fulfilment.discovery import Identifiers, subject_rows
from dsar.fulfilment.erasure_plan import NEEDED, OUTSIDE, Plan, edges
from dsar.retention.statements import python_value

CHUNK = 500


@dataclass(frozen=True)
class TableOutcome:
    """What erasure did to one table: ``rows`` found, ``changed`` written."""

    source: str
    table: str
    action: str  # delete | anonymize | retain
    rows: int
    changed: int = 0
    kept: int = 0  # rows kept whatever the strategy (see the module docstring)
    basis: str | None = None
    until: dt.date | None = None
    note: str = ""
    label: str = ""  # the data map's description of the table, for the subject's letter
    deleted: int = 0
    anonymized: int = 0
    columns: tuple[str, ...] = ()  # columns anonymized
    kept_because: tuple[tuple[str, int], ...] = ()  # (why, rows)
    shared: bool = False
    files: int = 0  # files deleted with the rows (counted, on a dry run)

    def describe(self) -> str:
        """One plain sentence for the result letter and the request timeline."""
        name = self.label or f"{self.source}.{self.table}"
        if self.action == "retain":
            end = f" until {self.until.isoformat()}" if self.until else ""
            return f"{name}: {self.rows} row(s) kept{end} — {self.basis}"
        if self.action == "anonymize":
            text = f"{name}: {self.rows - self.kept} row(s) anonymized ({self.note})"
        else:
            text = f"{name}: {self.rows - self.kept} row(s) deleted"
        if self.files:
            text += f" with their {self.files} file(s)"
        if self.kept:
            text += "; " + "; ".join(f"{count} row(s) kept because {why}" for why, count in self.kept_because)
        return text


@dataclass(frozen=True)
class ErasureOutcome:
    tables: tuple[TableOutcome, ...]
    sources: tuple[str, ...]  # sources fully processed (committed, unless dry run)
    dry_run: bool
    at: dt.datetime
    files: FilesDone | None = None  # what finishing the file journal did (not on a dry run)

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
                  now: dt.datetime, dry_run: bool = False, files: FileJournal | None = None) -> ErasureOutcome:
    """Apply every table's erasure strategy to the subject's rows, one transaction per source.

    ``identifiers`` must be the subject's proven ones (SPEC §4). ``hash_key`` is the
    tenant's key for ``hash``. With ``dry_run`` only counts are computed. Raises
    PartialErasure (a SourceUnavailable) when a source is down: nothing is written there,
    and the sources before it are reported as done.

    The files that deleted rows name (the map's ``files:``) go through ``files``, the
    tenant's journal: recorded before the rows are deleted, deleted once they are, and any
    left open by an earlier run that was killed are finished too. A map with file columns
    needs a journal for a real run.
    """
    if not dry_run and files is None and any(t.files for s in datamap.sources for t in s.tables):
        raise ConfigurationError("erasing rows that name files needs the tenant's file journal")
    outcomes: list[TableOutcome] = []
    done: list[str] = []
    for source in datamap.sources:
        try:
            outcomes += _erase_source(source, identifiers, hash_key, now, dry_run, files)
        except SourceUnavailable as error:
            raise PartialErasure(error, ErasureOutcome(tuple(outcomes), tuple(done), dry_run, now)) from None
        done.append(source.name)
    finished = files.finish() if files is not None and not dry_run else None
    return ErasureOutcome(tuple(outcomes), tuple(done), dry_run, now, finished)


def _erase_source(source: Source, identifiers: Identifiers, hash_key: bytes,
                  now: dt.datetime, dry_run: bool, files: FileJournal | None) -> list[TableOutcome]:
    recorded: list[int] = []
    try:
        with connect(source, transaction=not dry_run) as connection:
            plan = Plan(connection, source, subject_rows(connection, source, identifiers))
            doomed = {table.name: plan.doomed_files(table) for table in source.tables if table.name in plan.keys}
            if not dry_run and files is not None:
                # Recorded (committed) before any row goes: a crash after the rows' commit
                # still leaves the journal knowing which files to delete.
                recorded = files.record([pair for pairs in doomed.values() for pair in pairs])
            eraser = _Eraser(connection, plan, hash_key, now, dry_run)
            return [replace(outcome, files=len(doomed.get(outcome.table, ())))
                    for outcome in (eraser.apply(table) for table in children_first(source))]
    except BaseException:
        if recorded:
            files.cancel(recorded)  # the rows stay, so do their files
        raise


# --- applying it ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rewrite:
    """How one column's new value is computed from (old value, key)."""

    column: str
    compute: Callable[[object, tuple], object]
    constant: bool = field(default=True)


class _Eraser:
    def __init__(self, connection: sa.Connection, plan: Plan, hash_key: bytes,
                 now: dt.datetime, dry_run: bool):
        self.connection = connection
        self.plan = plan
        self.hash_key = hash_key
        self.now = now
        self.dry_run = dry_run

    def apply(self, table: Table) -> TableOutcome:
        keys = self.plan.keys[table.name]
        kept = self.plan.kept[table.name]
        strategy = table.erasure_strategy
        outcome = TableOutcome(self.plan.source.name, table.name, strategy.kind, len(keys),
                               label=table.label, shared=table.shared)
        if isinstance(strategy, Retain):
            return replace(outcome, basis=strategy.basis, until=self._retained_until(table, keys, strategy))
        outcome = replace(outcome, kept=len(kept), kept_because=self._reasons(table, kept))
        with reading(self.plan.source, table.name, "erasing rows of"):
            if isinstance(strategy, Anonymize):
                return self._anonymize_table(table, keys, kept, strategy, outcome)
            return self._delete(table, keys, kept, outcome)

    def _anonymize_table(self, table, keys, kept, strategy: Anonymize, outcome: TableOutcome) -> TableOutcome:
        rules = [self._rewrite(name, rule) for name, rule in strategy.columns]
        rules += [_Rewrite(name, _null) for name in self.plan.detached_links(table)]
        mine = [key for key in keys if kept.get(key) != OUTSIDE]
        changed = self._anonymize(table, mine, rules)
        note = ", ".join(f"{name}: {rule}" for name, rule in strategy.columns)
        return replace(outcome, changed=changed, anonymized=changed, note=note,
                       columns=tuple(rule.column for rule in rules),
                       kept=sum(1 for why in kept.values() if why == OUTSIDE),
                       kept_because=self._reasons(table, {k: w for k, w in kept.items() if w == OUTSIDE}))

    def _delete(self, table: Table, keys: list, kept: dict, outcome: TableOutcome) -> TableOutcome:
        doomed = [key for key in keys if key not in kept]
        deleted = len(doomed)
        if not self.dry_run and doomed:
            try:
                deleted = sum(self.connection.execute(sa.delete(self.plan.sql(table.name))
                                                      .where(self._by_key(table, chunk))).rowcount
                              for chunk in _chunks(doomed))
            except exc.IntegrityError:
                raise ConfigurationError(
                    f'cannot delete rows of "{table.name}" in source "{self.plan.source.name}": another '
                    "table still refers to them; map that table (link) so erasure handles it first",
                    details={"source": self.plan.source.name, "table": table.name}) from None
        shells = [key for key, why in kept.items() if why == NEEDED]
        emptied = self._anonymize(table, shells, self._shell_rules(table)) if shells else 0
        note = ("because kept rows of " + ", ".join(self._needing(table)) + " refer to them") if shells else ""
        return replace(outcome, changed=deleted + emptied, deleted=deleted, anonymized=emptied, note=note,
                       columns=tuple(rule.column for rule in self._shell_rules(table)) if shells else ())

    def _reasons(self, table: Table, kept: dict[tuple, str]) -> tuple[tuple[str, int], ...]:
        """(why in words, rows) for the rows kept whatever the strategy."""
        counts: dict[str, int] = {}
        for why in kept.values():
            if why == NEEDED:
                why = (f"kept records of {', '.join(self._needing(table))} refer to them "
                       "(what identifies the person was removed)")
            counts[why] = counts.get(why, 0) + 1
        return tuple(sorted(counts.items()))

    def _needing(self, table: Table) -> list[str]:
        return sorted(self.plan.needed_by.get(table.name, ()))

    def _by_key(self, table: Table, keys: Sequence[tuple]) -> sa.ColumnElement[bool]:
        """Rows named by their full key: ``key IN (…)`` or ``(a, b) IN ((…), …)``."""
        columns = self.plan.rows.keys(table.name)
        if len(columns) == 1:
            return columns[0].in_([key[0] for key in keys])
        return sa.or_(*(sa.and_(*(col == value for col, value in zip(columns, key))) for key in keys))

    def _shell_rules(self, table: Table) -> list[_Rewrite]:
        """Empty what identifies the person; keep keys and links so kept rows stay whole."""
        live = self.plan.sql(table.name)
        keep = {*table.key, *(edge.mine for edge in edges(self.plan.source, table.name))}
        names = dict.fromkeys([c for _, c in table.identity] + [c for c, _ in table.categories]
                              + [c for c, _ in table.files])
        rules = []
        for name in (n for n in names if n not in keep):
            if column(live, name, self.plan.source).nullable:
                rules.append(_Rewrite(name, _null))
            else:
                rules.append(_Rewrite(name, self._placeholder(table.name), constant=False))
        return rules

    def _rewrite(self, name: str, strategy) -> _Rewrite:
        """One column's rule, by the strategies retention uses too (one implementation)."""
        return _Rewrite(name, lambda value, key, s=strategy: python_value(s, value, self.hash_key),
                        constant=False)

    def _placeholder(self, table_name: str) -> Callable[[object, tuple], str]:
        def placeholder(value, key) -> str:
            # Unique per row (NOT NULL columns are often UNIQUE too) and the same on every
            # run; derived from the row's key, never from the personal value.
            name = key[0] if len(key) == 1 else "|".join(map(str, key))
            digest = hmac.new(self.hash_key, f"{table_name}:{name}".encode(), hashlib.sha256).hexdigest()
            return f"erased-{digest[:16]}"
        return placeholder

    def _anonymize(self, table: Table, keys: Sequence[tuple], rules: list[_Rewrite]) -> int:
        """Rewrite ``rules`` on the rows ``keys``; return how many rows actually change."""
        if not rules or not keys:
            return 0
        live, key_columns = self.plan.sql(table.name), self.plan.rows.keys(table.name)
        columns = [column(live, rule.column, self.plan.source) for rule in rules]
        width, changed = len(key_columns), 0
        for chunk in _chunks(keys):
            current = self.connection.execute(sa.select(*key_columns, *columns).where(self._by_key(table, chunk)))
            updates = []
            for row in current:
                key, old = tuple(row[:width]), list(row[width:])
                new = [rule.compute(value, key) for rule, value in zip(rules, old)]
                if new != old:
                    updates.append((key, new))
            changed += len(updates)
            if updates and not self.dry_run:
                self._write(live, key_columns, rules, updates)
        return changed

    def _write(self, live: sa.Table, key_columns: list[sa.Column], rules: list[_Rewrite], updates: list) -> None:
        # One executemany round trip for the chunk, each row addressed by its full key.
        statement = (sa.update(live).where(*(col == sa.bindparam(f"_k{i}") for i, col in enumerate(key_columns)))
                     .values({rule.column: sa.bindparam(f"_v{i}") for i, rule in enumerate(rules)}))
        self.connection.execute(statement, [
            {**{f"_k{i}": value for i, value in enumerate(key)}, **{f"_v{i}": value for i, value in enumerate(new)}}
            for key, new in updates])

    def _retained_until(self, table: Table, keys: list, retain: Retain) -> dt.date | None:
        """The latest end of retention among the subject's rows (None if open-ended)."""
        if isinstance(retain.until, dt.date) or retain.until is None:
            return retain.until
        if retain.from_column is None:
            return retain.until.after(self.now.date())
        start = column(self.plan.sql(table.name), retain.from_column, self.plan.source)
        with reading(self.plan.source, table.name, "reading retention dates of"):
            latest = [_as_date(self.connection.execute(
                sa.select(sa.func.max(start)).where(self._by_key(table, chunk))).scalar()) for chunk in _chunks(keys)]
        latest = [day for day in latest if day is not None]
        return retain.until.after(max(latest)) if latest else None




def _null(value, key):
    return None


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


__all__ = ["ErasureOutcome", "PartialErasure", "Plan", "TableOutcome", "erase_subject"]
