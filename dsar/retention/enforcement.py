"""Apply retention rules to one tenant's databases: set-based SQL in bounded batches.

Each rule walks its table a batch at a time (keyset pagination). On SQLite and PostgreSQL
a batch is a window of the cutoff column's index — positions (cutoff column, key), oldest
first — so no batch reads again the rows an earlier one kept (a hold, a reference):

1. ``SELECT col, pk … WHERE col < :bound AND (col, pk) > :last ORDER BY col, pk OFFSET
   :batch - 1 LIMIT 1`` finds where the window ends, walking the index alone (the bound is
   the plain range of the cutoff, ``Flavour.index_range``; the rule is not evaluated).
   Where the index does not hold the key in its order (PostgreSQL: ``ORDER BY col, pk``
   would sort every window), the window ends before the value of the ``:batch + 1``-th
   entry, ``ORDER BY col`` alone (an index-only walk); only where one value is shared by
   more rows than a batch holds does that window walk (col, pk);
2. ``DELETE`` / ``UPDATE … WHERE (col, pk) > :last AND (col, pk) <= :end AND <rule>`` does
   the work where the rows live: one range of the index, each row tested once;
3. the batch is committed, so a crash loses at most the batch in flight and the next run
   simply finds the rows still matching. ``DSAR_JOB_BATCH_SIZE`` bounds each transaction:
   no batch that changes more rows than that is committed.

Once a first window has shown how fast the rule goes and how densely the rows lie on the
cutoff column, the following windows are *spans* of the column's values — ``col >= :from
AND col < :to``, ``:to`` reckoned from the values — which need no walk to find where they end
(that walk cost about a sixth of the work), sized to take about ``BATCH_SECONDS`` and to hold
about half the batch size. A span that turns out to change more rows than the batch size,
or whose statement the database stops after ``SPAN_TIME_LIMIT`` (the rows lay denser there:
PostgreSQL's ``statement_timeout``, SQLite's progress handler), is rolled back and that
stretch walked in windows as above.
Tables whose rows name files always walk (their files are journalled before the rows go).

Other dialects walk the primary key: ``SELECT max(pk), count(*)`` of the next window of
matching rows, then the statement on that key range with the rule.

A row matches a rule when its timestamp is strictly older than the cutoff, it belongs to
the tenant (the source's ``scope`` column, or a link to a scoped table; a table with
neither holds only this tenant's rows), no retention hold covers it (directly or through a
link), and — for ``delete`` — no row of a mapped child table still refers to it (a
conversation stays until its last message has gone; children's rules run first, so one
run clears both when both are due, and a dry run counts the parents their children
free). Anonymization only matches rows it would change, so a re-run writes and counts
nothing. A dry run counts the matching rows and writes nothing.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time as day_start, timedelta, timezone
from typing import NoReturn

import sqlalchemy as sa
from sqlalchemy import exc

from dsar.datamap.model import ColumnStrategy, DataMap, Source, Table
from dsar.datamap.sources import NO_MATCH, coerce, column, connect, reflect
from dsar.errors import ConfigurationError, DsarError, SourceUnavailable
from dsar.files.deletions import FileJournal, FilesDone
from dsar.jobs.registry import JobContext
from dsar.jobs.runner import describe_error
from dsar.retention.overrides import EffectiveRule, RetentionHold
from dsar.retention.statements import (Flavour, batch_days, day_parameters, day_runs, days_kind, next_run_start,
                                       flavour_for, iso_day, python_value)

#: How long one batch aims to hold its transaction open: batches grow (at most fourfold a
#: batch) or shrink towards it, never beyond the batch size's rows.
BATCH_SECONDS = 0.25
#: The rows of a rule's first window, before its speed is known (or the batch size, if less).
FIRST_BATCH = 1_000
#: The share of the batch size a span aims to hold: room for rows denser than the last batch
#: showed before the span changes more than a batch may (then it is rolled back and walked).
SPAN_SHARE = 0.5
#: The widest span of values one window covers, whatever the density.
LONGEST_SPAN = timedelta(days=3660)
#: A span's statements are stopped after this long (four times what a batch aims at): a
#: stretch far denser than the last batch showed is rolled back and walked instead.
SPAN_TIME_LIMIT = 4 * BATCH_SECONDS


class _SpanStopped(Exception):
    """A span was rolled back (stopped by its time limit, or it changed too many rows): walk
    that stretch instead."""


def enforce(ctx: JobContext, datamap: DataMap, rules: list[EffectiveRule], *, hash_key: bytes,
            holds: Iterable[RetentionHold] = (), batch_size: int, files: FileJournal | None = None) -> None:
    """Apply ``rules`` to ``datamap``'s sources; rows per rule go to ``ctx.count``.

    A failing rule is recorded in ``ctx.errors`` and the others still run; an unreachable
    source skips its own rules only. Deleted rows' files (the map's ``files:``) go through
    ``files``, the tenant's journal, batch by batch; entries an earlier run left open are
    finished first.
    """
    holds = list(holds)
    if files is not None and not ctx.dry_run:
        _files_done(ctx, files.finish(), "files left by an earlier run", always=False)
    for source in datamap.sources:
        mine = [rule for rule in rules if rule.source == source.name]
        if not mine:
            continue
        try:
            with connect(source) as connection:
                work = _SourceWork(connection, source, [h for h in holds if h.source == source.name], mine)
                work.files = files
                try:
                    for rule in _children_first(source, mine):
                        work.apply(ctx, rule, hash_key, batch_size)
                finally:
                    work.finish()
        except SourceUnavailable as error:
            ctx.errors.append(error.message)


def _files_done(ctx: JobContext, done: FilesDone, label: str, *, always: bool = True) -> None:
    """Files deleted (or found already missing) under ``label``, as a dry run counts them."""
    if always or done.deleted or done.missing:
        ctx.count(label, done.deleted + done.missing)
    if done.missing:
        ctx.count(f"{label} (already missing)", done.missing)
    ctx.errors.extend(done.errors)


def _children_first(source: Source, rules: list[EffectiveRule]) -> list[EffectiveRule]:
    """Rules ordered so a table's rules run after the rules of the tables linking to it."""
    depth: dict[str, int] = {}

    def height(name: str, seen: frozenset = frozenset()) -> int:
        if name not in depth:
            children = [t.name for t in source.tables for link in t.links
                        if link.table == name and t.name not in seen]
            depth[name] = 1 + max((height(child, seen | {name}) for child in children), default=0)
        return depth[name]

    return sorted(rules, key=lambda rule: height(rule.table))  # leaves (height 1) first


class _SourceWork:
    """Reflected tables of one source and the conditions every rule shares."""

    def __init__(self, connection: sa.Connection, source: Source, holds: list[RetentionHold],
                 rules: list[EffectiveRule] = ()):
        self.connection = connection
        self.source = source
        self.holds = holds
        self.rules = list(rules)
        self._predicting: set[str] = set()
        self.flavour: Flavour = flavour_for(connection.dialect.name)
        self.flavour.prepare(connection)
        self._tables: dict[str, sa.Table] = {}
        self._scopes: dict[str, sa.ColumnElement[bool] | None] = {}
        self._held: dict[str, sa.ColumnElement[bool] | None] = {}
        self.files: FileJournal | None = None

    def finish(self) -> None:
        try:
            self.flavour.finish(self.connection)
        except exc.DBAPIError:  # the connection was lost: nothing left to put back
            pass

    # --- tables and shared conditions ------------------------------------------------------

    def table(self, name: str) -> sa.Table:
        if name not in self._tables:
            self._tables[name] = reflect(self.connection, self.source, [name], whole=False)[name]
            self.connection.commit()  # reflection opened a transaction: end it
        return self._tables[name]

    def key(self, spec: Table) -> sa.Column:
        table = self.table(spec.name)
        if spec.primary_key:
            return column(table, spec.primary_key, self.source)
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            raise ConfigurationError(
                f'table "{spec.name}" of source "{self.source.name}" needs a primary_key (one column) in the '
                "data map: retention works through it in batches", details={"table": spec.name})
        return keys[0]

    def scope(self, name: str) -> sa.ColumnElement[bool] | None:
        """Rows of this tenant in a shared database; None when the table is all theirs."""
        if name not in self._scopes:
            self._scopes[name] = self._through_links(name, self._own_scope, self.scope)
        return self._scopes[name]

    def held(self, name: str) -> sa.ColumnElement[bool] | None:
        """Rows under a retention hold, directly or through a link; None when there are none."""
        if name not in self._held:
            self._held[name] = self._through_links(name, self._own_holds, self.held)
        return self._held[name]

    def _own_scope(self, name: str) -> list[sa.ColumnElement[bool]]:
        scope, table = self.source.scope, self.table(name)
        if scope is None:
            return []
        return [_equals(table.c[scope.column], scope.value)] if scope.column in table.c else []

    def _own_holds(self, name: str) -> list[sa.ColumnElement[bool]]:
        table = self.table(name)
        return [_equals(column(table, hold.column, self.source), hold.value)
                for hold in self.holds if hold.table == name]

    def _through_links(self, name: str, own, inherited) -> sa.ColumnElement[bool] | None:
        parts = own(name)
        if parts and own is self._own_scope:
            return parts[0]  # the scope column decides alone
        table = self.table(name)
        for link in self.source.table(name).links:
            parent_condition = inherited(link.table)
            if parent_condition is None:
                continue
            parent = self.table(link.table)
            target = column(parent, link.target_column, self.source)
            linked = column(table, link.column, self.source)
            keys = sa.select(target).where(parent_condition, target.is_not(None)).correlate(None)
            parts.append(sa.and_(linked.is_not(None), linked.in_(keys)))
        return sa.or_(*parts) if parts else None

    def referenced(self, name: str, predict_at: datetime | None = None) -> sa.ColumnElement[bool] | None:
        """Rows a mapped child table still points at (they must outlive their children).

        With ``predict_at`` (a dry run) a child row that this run's own delete rules would
        remove first does not count: the real run deletes children before parents, so a
        dry run that ignored this would under-count the parents their children free.
        """
        table = self.table(name)
        parts = []
        for child in self.source.tables:
            for link in child.links:
                if link.table == name:
                    child_table = self.table(child.name)
                    points = column(child_table, link.column, self.source) == column(table, link.target_column, self.source)
                    going = self._deleted_first(child.name, predict_at) if predict_at is not None else None
                    parts.append(sa.exists().where(points, *([sa.not_(going)] if going is not None else [])))
        return sa.or_(*parts) if parts else None

    def _deleted_first(self, name: str, now: datetime) -> sa.ColumnElement[bool] | None:
        """Rows of ``name`` this run's delete rules remove (None when none would, or on a cycle)."""
        rules = [rule for rule in self.rules if rule.table == name and rule.rule.action == "delete"]
        if not rules or name in self._predicting:
            return None
        self._predicting.add(name)
        try:
            return sa.or_(*(self.condition(rule, now, predict=True) for rule in rules))
        finally:
            self._predicting.discard(name)

    def condition(self, rule: EffectiveRule, now: datetime, *, predict: bool = False,
                  days: str | None = None) -> sa.ColumnElement[bool]:
        """Rows ``rule`` applies to now (before asking whether they would change); with
        ``predict``, as they will be once the children's rules of this run have run; with
        ``days``, for the rows of one batch whose ISO-text timestamps can only start with
        the dates its parameters name (``Flavour.expired``: "near" or "old")."""
        table = self.table(rule.table)
        parts = [self.flavour.expired(column(table, rule.rule.from_column, self.source), rule.cutoff(now), days)]
        if (scope := self.scope(rule.table)) is not None:
            parts.append(scope)
        if (held := self.held(rule.table)) is not None:
            parts.append(sa.not_(held))
        if rule.rule.action == "delete" and (
                referenced := self.referenced(rule.table, now if predict else None)) is not None:
            parts.append(sa.not_(referenced))
        return sa.and_(*parts)

    # --- one rule ----------------------------------------------------------------------------

    def apply(self, ctx: JobContext, rule: EffectiveRule, hash_key: bytes, batch_size: int) -> None:
        ctx.count(rule.label, 0)
        try:
            spec = self.source.table(rule.table)
            batch = _Batches(self, ctx, rule, self.key(spec), batch_size)
            if rule.rule.action == "delete":
                batch.delete(_Conditions(lambda days: self.condition(rule, ctx.now, predict=ctx.dry_run, days=days)))
            else:
                batch.anonymize(_Conditions(lambda days: self.condition(rule, ctx.now, days=days)),
                                _strategies(rule), hash_key)
        except SourceUnavailable:
            raise
        except exc.DBAPIError as error:
            self.connection.rollback()
            if error.connection_invalidated:
                raise SourceUnavailable(f'source "{self.source.name}" was lost during {rule.label}') from None
            ctx.errors.append(f"{rule.label}: {describe_error(error)}")
        except DsarError as error:
            self.connection.rollback()
            ctx.errors.append(f"{rule.label}: {error.message}")


def _strategies(rule: EffectiveRule) -> list[tuple[str, ColumnStrategy]]:
    if rule.rule.action == "anonymize_ip":
        return [(rule.rule.column, ColumnStrategy("ip", level=rule.rule.level))]
    return list(rule.rule.columns)


def _equals(col: sa.Column, value) -> sa.ColumnElement[bool]:
    value = coerce(col, value)
    return sa.false() if value is NO_MATCH else sa.and_(col.is_not(None), col == value)


class _Conditions:
    """A rule's condition, built once per kind: for any row (the date pattern), and for a
    batch's rows whose dates are known (the dates as parameters, ``_Window.parameters``)."""

    def __init__(self, build):
        self._build = build
        self._built: dict[str | None, sa.ColumnElement[bool]] = {}

    def __call__(self, window: _Window | None = None) -> sa.ColumnElement[bool]:
        days = window.kind if window is not None else None
        if days not in self._built:
            self._built[days] = self._build(days)
        return self._built[days]


@dataclass(frozen=True)
class _Window:
    """One batch: its range (positions after the last batch's end up to ``end``), whether
    it is the last, and the ISO dates its timestamps can start with (None: unknown)."""

    in_range: sa.ColumnElement[bool]
    end: tuple | None
    final: bool
    days: tuple[str, ...] | None = None
    kind: str | None = None  # how ``Flavour.expired`` tests the batch's dates (``days_kind``)
    start: object = None  # the cutoff column's value the window starts at, where known
    span: bool = False  # a span of values (its rows uncounted), not a walked window

    @property
    def parameters(self) -> dict[str, str]:
        return day_parameters(self.days) if self.days else {}


class _Sizes:
    """How much the next batch of a rule takes on: ``rows`` for a walked window, ``step`` (the
    cutoff column's values, None: walk) for a span. Each batch's time (from the end of the one
    before) and rows size the next (``learn``) to take about ``BATCH_SECONDS`` and to hold about
    ``SPAN_SHARE`` of ``cap``, the most rows a committed batch changes."""

    def __init__(self, cap: int):
        self.cap = cap
        self.rows = min(cap, FIRST_BATCH)
        self.step: timedelta | None = None
        self.density: float | None = None  # rows per second of the cutoff column's values
        self._began = time.perf_counter()

    def restart(self) -> None:
        """The next batch is timed from now (this one taught nothing)."""
        self._began = time.perf_counter()

    def learn(self, window: _Window, changed: int) -> None:
        """Size the next window from this one's time and rows, and let the next be a span
        once the values' density is known."""
        now = time.perf_counter()
        seconds, self._began = now - self._began, now
        step = self._after_span(window, changed, seconds) if window.span else self._after_walk(window, _factor(seconds))
        if step is not None and self.density:
            step = min(step, timedelta(seconds=self.cap * SPAN_SHARE / self.density))
        if step is not None:
            step = min(step, LONGEST_SPAN)
        self.step = step if step is not None and step > timedelta(0) else None

    def _after_span(self, window: _Window, changed: int, seconds: float) -> timedelta | None:
        # Rows kept (held, still referred to) count as none here: a denser stretch than this
        # guess is rolled back and walked (``too_many``). An empty span lifts the bound, so
        # spans across a gap in the data grow fourfold each. A span cut short (where its run
        # of days ends, ``_later``) is judged by its own length, as if it had been whole.
        if self.step is None:
            return None
        step = self.step.total_seconds()
        covered = _seconds_between(window.start, window.end[0]) if window.end else None
        length = covered if covered is not None and 0 < covered < step else step
        self.density = changed / max(length, 1e-6)
        return self.step * _factor(seconds * step / max(length, 1e-6))

    def _after_walk(self, window: _Window, factor: float) -> timedelta | None:
        rows = self.rows
        self.rows = max(1, min(self.cap, int(self.rows * factor)))
        covered = _seconds_between(window.start, window.end[0] if window.end else None)
        if covered is None or covered <= 0:
            return self.step  # the values are no moments here: nothing learnt about them
        self.density = rows / covered
        return timedelta(seconds=covered * factor)

    def too_many(self, window: _Window, changed: int) -> bool:
        return window.span and changed > self.cap

    def walk_next(self) -> None:
        """The next window is walked (and sizes the spans after it)."""
        self.step = None
        self.restart()


class _Batches:
    """The keyset-paginated batch loop of one rule on one table.

    Where the flavour can (SQLite, PostgreSQL), batches walk the position (cutoff column,
    key) — the cutoff column's index, oldest first — and remember the last position done,
    so rows a rule keeps (holds, references) are never read again. Elsewhere they walk
    the key alone.
    """

    def __init__(self, work: _SourceWork, ctx: JobContext, rule: EffectiveRule, key: sa.Column, size: int):
        self.work = work
        self.connection = work.connection
        self.flavour = work.flavour
        self.table = work.table(rule.table)
        self.ctx = ctx
        self.rule = rule
        self.key = key
        self.sizes = _Sizes(size)
        self.spans = self.flavour.keyset  # whether spans may be tried (see ``delete``)
        self.done = 0
        self.cutoff_column = column(self.table, rule.rule.from_column, work.source)
        self.order = [self.flavour.ordered(self.cutoff_column), key] if self.flavour.keyset else [key]
        self.position = [self.flavour.tested(self.order[0]), key] if self.flavour.keyset else [key]
        self.in_index = self.flavour.index_range(self.cutoff_column, rule.cutoff(ctx.now))
        self.cutoff = rule.cutoff(ctx.now)
        self.bound = self.flavour.index_bound(self.cutoff) if self.flavour.keyset else None
        self.top = self.flavour.index_top(self.cutoff_column, self.cutoff) if self.flavour.keyset else None

    def _report(self, rows: int) -> None:
        self.done += rows
        self.ctx.count(self.rule.label, rows)
        self.ctx.progress(self.rule.label, self.done, None)

    def _count(self, condition: sa.ColumnElement[bool]) -> None:
        rows = self.connection.execute(sa.select(sa.func.count()).select_from(self.table).where(condition)).scalar_one()
        self.connection.rollback()
        self._report(rows)

    def after(self, last: tuple | None) -> list[sa.ColumnElement[bool]]:
        """Rows past position ``last`` (None: from the start; ``(value, None)``: from the
        first row whose cutoff column holds ``value``, see ``_value_window``)."""
        if last is None:
            return []
        if len(self.order) == 1:
            return [self.key > last[0]]
        ordered = self.order[0]
        if last[1] is None:
            return [ordered >= last[0]]
        # The plain bound lets an index on the cutoff column alone serve the row comparison
        # (evaluated on every row of the range, so on the text as such tests read it).
        return [ordered >= last[0], sa.tuple_(*self.position) > sa.tuple_(*last)]

    def _up_to(self, upper: tuple) -> list[sa.ColumnElement[bool]]:
        if len(self.order) == 1:
            return [self.key <= upper[0]]
        return [self.order[0] <= upper[0], sa.tuple_(*self.position) <= sa.tuple_(*upper)]

    def _window(self, condition: sa.ColumnElement[bool], last) -> _Window | None:
        """The next ``size`` matching rows after ``last``; None when no row is left."""
        after = self.after(last)
        if self.spans and self.sizes.step is not None and (window := self._span_window(after, last)) is not None:
            return window
        if self.flavour.value_windows and (window := self._value_window(after)) is not None:
            return window
        if self.flavour.keyset:
            # The position of the size-th index entry in the cutoff's range: a walk of the
            # index alone (the rule is evaluated once, by the statement on the window);
            # past the end, the rest of the range is the last window.
            end = self.connection.execute(sa.select(*self.order).where(self.in_index, *after).order_by(*self.order)
                                          .offset(self.sizes.rows - 1).limit(1)).first()
            first, days = self._days(last, end)
            # Only a window with an end of its own may let its range hold its dates: the last
            # one's range has none (its dates keep their test, and with it the bound).
            kind = (days_kind(days, self.cutoff) if end is None
                    else days_kind(days, self.cutoff, first, end[0], high_included=True))
            if end is None:
                return _Window(sa.and_(sa.true(), *after), None, True, days, kind, first)
            return _Window(sa.and_(*after, *self._up_to(tuple(end))), tuple(end), False, days, kind, first)
        keys = sa.select(self.key.label("k")).where(condition, *after).order_by(self.key).limit(self.sizes.rows).subquery()
        upper, found = self.connection.execute(sa.select(sa.func.max(keys.c.k), sa.func.count()).select_from(keys)).one()
        if not found:
            return None
        return _Window(sa.and_(*after, self.key <= upper), (upper,), found < self.sizes.rows)

    def _value_window(self, after: list[sa.ColumnElement[bool]]) -> _Window | None:
        """The rows before the value of the ``size + 1``-th index entry after ``after``: at
        most ``size`` rows, found by walking the cutoff column's index alone (no key to
        sort by). None when the first ``size + 1`` entries share one value: that window
        walks (value, key) instead."""
        ordered = self.order[0]
        entries = sa.select(ordered).where(self.in_index, *after).order_by(ordered)
        beyond = self.connection.execute(entries.offset(self.sizes.rows).limit(1)).first()
        if beyond is None:
            return _Window(sa.and_(sa.true(), *after), None, True)
        first = self.connection.execute(entries.limit(1)).scalar()
        if first == beyond[0]:
            return None
        return _Window(sa.and_(*after, ordered < beyond[0]), (beyond[0], None), False, start=first)

    def _span_window(self, after: list[sa.ColumnElement[bool]], last: tuple | None) -> _Window | None:
        """The rows whose cutoff column lies from ``last``'s value up to ``step`` later: no
        walk of the index to find the end. None where the values are no moments (or the
        first window has not been walked yet)."""
        if last is None or (until := self._later(last[0])) is None:
            return None
        if until >= self.top:
            first, days = self._days(last, None)
            return _Window(sa.and_(sa.true(), *after), None, True, days, days_kind(days, self.cutoff), first, True)
        first, days = self._days(last, (until,))
        high = until
        if days and len(days) > 1 and until == days[-1]:
            # The span ends where a run of days begins (``_later``): its dated text is the
            # days before, up to the end of their range. Text between that and ``until``
            # starts with no date: no batch ever needs it.
            days = days[:-1]
            high = day_runs(days)[-1][1]
        return _Window(sa.and_(*after, self.order[0] < high), (until, None), False, days,
                       days_kind(days, self.cutoff, first, high), first, True)

    def _later(self, value):
        """``value`` (a position in the cutoff column) plus ``step``, of the same kind; None
        where it is no moment. ISO text stays ISO text, spelled as ``value`` is. Where dates
        are tested by day ranges, a span ends at the latest where the next run of days
        begins (``next_run_start``, spelled as the bare date): its own range then holds its
        text to its days, and its rows need no test of their dates."""
        if self.top is None or value is None:
            return None
        start = _moment(value)
        if start is None:
            return None
        try:
            later = start + self.sizes.step
        except OverflowError:  # past year 9999: the rest of the range
            return self.top
        if isinstance(value, datetime):
            return later
        if self.flavour.day_ranges:
            next_run = next_run_start(start.date())
            if later >= datetime.combine(next_run, day_start(), start.tzinfo):
                return next_run.isoformat()
        text = later.isoformat(sep=value[10] if len(value) > 10 and value[10] in "T " else " ")
        return text if text > value else None

    @contextmanager
    def _limited(self, window: _Window):
        """A span's statements stop after ``SPAN_TIME_LIMIT`` (rows denser than the last batch
        showed): rolled back, and that stretch walked (``_SpanStopped``)."""
        if not window.span:
            yield
            return
        try:
            with self.flavour.time_limit(self.connection, SPAN_TIME_LIMIT):
                yield
        except exc.DBAPIError as error:
            if not self.flavour.interrupted(error):
                raise
            self._give_up_span()

    def _check_size(self, window: _Window, changed: int) -> None:
        """A span that changed more rows than a batch may is rolled back, that stretch walked."""
        if self.sizes.too_many(window, changed):
            self._give_up_span()

    def _give_up_span(self) -> NoReturn:
        """Roll the span back; the caller walks that stretch instead."""
        self.connection.rollback()
        self.sizes.walk_next()
        raise _SpanStopped() from None

    def _days(self, last: tuple | None, end) -> tuple[object, tuple[str, ...] | None]:
        """Where the window starts (None: not known) and the ISO dates its timestamps (ISO
        text) can start with: the window lies between its two ends in the index, so from the
        date of one to the other's."""
        first = last[0] if last is not None else None
        if not self.flavour.day_ranges or self.bound is None:
            return first, None
        if last is None:
            first = self.connection.execute(sa.select(self.order[0]).where(self.in_index)
                                            .order_by(self.order[0]).limit(1)).scalar()
        if end is not None:
            return first, batch_days(first, end[0])
        # The last window ends below the bound: its dates end the day before the bound's.
        top = iso_day(self.bound)
        return first, (batch_days(first, (top - timedelta(days=1)).isoformat()) if top else None)

    def _integrity(self) -> ConfigurationError:
        self.connection.rollback()
        return ConfigurationError(
            f'rows of "{self.rule.table}" are still referred to by a table the data map does not '
            "link to it; add that table with a link so its rows are handled first")

    def _file_columns(self) -> list[tuple[sa.Column, str]]:
        spec = self.work.source.table(self.rule.table)
        return [(column(self.table, name, self.work.source), store) for name, store in spec.files]

    def _count_files(self, condition: sa.ColumnElement[bool]) -> None:
        """A dry run counts the files the deleted rows name, too."""
        files = sum(self.connection.execute(sa.select(sa.func.count()).select_from(self.table).where(
            condition, col.is_not(None), col != "")).scalar_one() for col, _ in self._file_columns())
        self.connection.rollback()
        self.ctx.count(f"{self.rule.label}: files", files)

    def _doomed_files(self, where: sa.ColumnElement[bool], parameters: dict) -> list[tuple[str, str]]:
        columns = self._file_columns()
        rows = self.connection.execute(sa.select(*(col for col, _ in columns)).where(where), parameters)
        return [(store, str(value)) for row in rows for (_, store), value in zip(columns, row)
                if value not in (None, "")]

    def delete(self, condition_for) -> None:
        condition = condition_for()
        files = self.work.files if self._file_columns() else None
        if self.ctx.dry_run:
            if self._file_columns():
                self._count_files(condition)
            return self._count(condition)
        if self._file_columns() and files is None:
            raise ConfigurationError("deleting rows that name files needs the tenant's file journal")
        if files is not None:
            self.ctx.count(f"{self.rule.label}: files", 0)
        self.spans = self.spans and files is None
        last = None
        while (window := self._window(condition, last)) is not None:
            condition, parameters = condition_for(window), window.parameters
            # The files of the window's rows are journalled (committed) before the rows go.
            recorded = files.record(self._doomed_files(sa.and_(window.in_range, condition), parameters)) if files else []
            try:
                with self._limited(window):
                    deleted = self.connection.execute(sa.delete(self.table).where(window.in_range, condition),
                                                      parameters).rowcount
                self._check_size(window, deleted)
                self.connection.commit()
            except _SpanStopped:
                continue
            except BaseException as error:
                if recorded:
                    self.connection.rollback()
                    files.cancel(recorded)
                if isinstance(error, exc.IntegrityError):
                    raise self._integrity() from None
                raise
            self._report(deleted)
            if files is not None:
                _files_done(self.ctx, files.finish(), f"{self.rule.label}: files")
            if window.final:
                break
            last = window.end
            self.sizes.learn(window, deleted)
        self.connection.rollback()

    def anonymize(self, condition_for, strategies, hash_key: bytes) -> None:
        condition = condition_for()
        columns = [column(self.table, name, self.work.source) for name, _ in strategies]
        targets = list(zip(columns, [s for _, s in strategies]))
        python = _PythonRewrite(self, columns, [s for _, s in strategies], hash_key)

        def rewrites(careful: bool) -> list:
            return [self.flavour.rewrite(col, strategy, hash_key, careful) for col, strategy in targets]

        if any(rewrite is None for rewrite in rewrites(False)):
            return python.all(condition)
        if self.ctx.dry_run:
            return self._count_changes(condition, rewrites, python)
        # Careful once a statement failed on a value SQL could not read ("256.1.1.1"): from
        # then on, every value SQL might not read is left to Python, the rest still done in SQL.
        careful = False
        last = None
        while True:
            window = None
            try:
                # Windows over every expired row, not only those that would change: the
                # rewrite is then computed by the UPDATE alone, not by the window query too.
                window = self._window(condition_for(), last)
                if window is None:
                    break
                in_range, upper, final = window.in_range, window.end, window.final
                condition, parameters = condition_for(window), window.parameters
                odd = [r.odd for r in rewrites(careful) if r.odd is not None]
                with self._limited(window):
                    statement = self.flavour.rewrite_rows(self.table, targets, sa.and_(in_range, condition), hash_key,
                                                          careful)
                    changed = self.connection.execute(statement, parameters).rowcount
                    # The UPDATE left odd rows alone (SQL does not read them as Python does).
                    if odd and (left := self.flavour.odd_rows_left(self.connection)) is not None:
                        changed += python.rows(sa.and_(left, in_range, condition, sa.or_(*odd)), parameters=parameters)[0]
                self._check_size(window, changed)
            except _SpanStopped:
                continue
            except exc.DataError:
                self.connection.rollback()
                if not careful:
                    careful = True
                    self.sizes.restart()
                    continue  # the same window again, carefully
                # Even so SQL could not read a value: this batch is done in Python.
                window = None
                changed, upper, found = python.rows(condition_for(), after=last, limit=self.sizes.rows)
                if not found:
                    break
                final = found < self.sizes.rows
            self.connection.commit()
            self._report(changed)
            if final:
                break
            last = upper
            if window is not None:
                self.sizes.learn(window, changed)
            else:
                self.sizes.restart()
        self.connection.rollback()

    def _count_changes(self, condition, rewrites, python: _PythonRewrite) -> None:
        """A dry run counts the rows anonymization would change: in SQL, carefully where a
        value SQL could not read made the count fail, and in Python if even that failed."""
        for careful in (False, True):
            try:
                return self._count(sa.and_(condition, sa.or_(*(r.changes for r in rewrites(careful)))))
            except exc.DataError:
                self.connection.rollback()
        python.all(condition)  # ``python.rows`` writes nothing in a dry run


def _factor(seconds: float) -> float:
    """How much the next batch should take on, for one that took ``seconds``: towards
    ``BATCH_SECONDS``, at most fourfold, at least a quarter."""
    return min(4.0, max(0.25, BATCH_SECONDS / max(seconds, 1e-4)))


def _moment(value) -> datetime | None:
    """A value of the cutoff column as a moment: a datetime itself, ISO text as the moment it
    spells (None: neither)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _seconds_between(start, end) -> float | None:
    """Seconds from one value of the cutoff column to another (None: not both moments)."""
    first, last = _moment(start), _moment(end)
    if first is None or last is None:
        return None
    if (first.tzinfo is None) != (last.tzinfo is None):
        first, last = (moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment
                       for moment in (first, last))
    return (last - first).total_seconds()


class _PythonRewrite:
    """Rows whose new values Python computes: fetched a batch at a time, written with one
    ``executemany`` per batch (never a statement per row)."""

    def __init__(self, batches: _Batches, columns: list[sa.Column], strategies: list[ColumnStrategy], key: bytes):
        self.batches = batches
        self.columns = columns
        self.strategies = strategies
        self.hash_key = key

    def rows(self, where, *, after=None, limit: int | None = None, parameters: dict | None = None) -> tuple[int, object, int]:
        """Rewrite the rows ``where`` (after key ``after``, at most ``limit``; ``parameters``
        of ``where``); return (rows changed, last key seen, rows seen)."""
        b = self.batches
        positions = len(b.order)
        query = sa.select(*b.order, *self.columns).where(where, *b.after(after)).order_by(*b.order)
        if limit is not None:
            query = query.limit(limit)
        updates, last, seen = [], after, 0
        for row in b.connection.execute(query, parameters or {}):
            seen, last = seen + 1, tuple(row[:positions])
            key, old = row[positions - 1], list(row[positions:])
            new = [python_value(s, value, self.hash_key) for s, value in zip(self.strategies, old)]
            if new != old:
                updates.append({"_k": key, **{f"_v{i}": value for i, value in enumerate(new)}})
        if updates and not b.ctx.dry_run:
            statement = (sa.update(b.table).where(b.key == sa.bindparam("_k"))
                         .values({col.name: sa.bindparam(f"_v{i}") for i, col in enumerate(self.columns)}))
            b.connection.execute(statement, updates)
        return len(updates), last, seen

    def all(self, condition) -> None:
        """Every matching row, batch by batch (engines without the SQL rewrite)."""
        b, last = self.batches, None
        while True:
            changed, last, seen = self.rows(condition, after=last, limit=b.sizes.rows)
            if b.ctx.dry_run:
                b.connection.rollback()
            else:
                b.connection.commit()
            b._report(changed)
            if seen < b.sizes.rows:
                break
