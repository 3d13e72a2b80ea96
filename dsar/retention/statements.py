"""The SQL each database engine runs for retention: expiry tests and column rewrites.

Work is pushed down to the database that holds the rows (SPEC §9). Each engine gets a
*flavour* that knows how to write, as SQL expressions on a column:

* ``expired(column, cutoff)`` — the row is strictly older than the cutoff. Real timestamps
  compare directly (a naive column holds UTC). ISO text is judged as a moment, not as text
  (``2025-01-01T10:00:00Z`` and ``2025-01-01 10:00:00`` are the same instant), yet in a
  form an index on the column serves: one text range. Whatever the spelling after the
  date (``T`` or space, fractions, ``Z``, an offset of at most a day), a value whose date
  is two days or more before the cutoff's is older, and one whose date is two days or more
  after it is newer; only the four days around the cutoff are compared as instants
  (SQLite ``julianday``, PostgreSQL ``::timestamptz`` in a UTC session). Text that does not
  start with an ISO date is never taken for an old row.
  On SQLite a batch (a stretch of the index between two known ends) whose ends' dates are
  at most ``MAX_BATCH_DAYS`` apart tests its rows by a few text ranges instead of a
  pattern per row (``day_runs``: ``"2025-02-21" <= text < "2025-02-28"`` holds exactly for
  text starting with one of the days 21 to 27), or by none where its own ends lie in one
  such range (``held_to_days``: spans end where a range does). It drops the test near the
  cutoff where all its days are two days or more before it. Per-row tests read ``+col``
  (no column affinity to apply on every row).
* ``rewrite(column, strategy)`` — the new value of an anonymized column, the test "this
  row would change" (so a re-run writes and counts nothing), and, where SQL cannot decide
  a value exactly as Python would, the test for the *odd* rows left to Python.

IP masking gives exactly what :func:`dsar.domain.ip_masking.mask_ip` gives (a value that
is not an IP address is emptied, as erasure does):

* SQLite: ``mask_ip`` itself, registered as the SQL function ``dsar_mask_ip`` on the
  connection — one UPDATE per batch, Python called by the engine, no round trip per row.
* PostgreSQL: ``host(network(set_masklen(ip::inet, n)))``, with IPv4-mapped addresses
  masked on their IPv4 part, in one ``UPDATE`` per batch that leaves the batch's odd rows
  alone and, if it left any, names their positions in a setting of the transaction; only
  then are they read back, by position, for Python (measured: ``RETURNING`` their keys cost
  more than reading the batch twice). Hex-and-colon text and dotted text PostgreSQL
  prints back unchanged (but for case) are masked in SQL; text of address characters
  only (hex digits, ``:``, ``.``) without a dot or colon is emptied in SQL too; any other
  text (spaces around an address, zone ids such as ``fe80::1%eth0``, leading zeros in
  dotted text, words, non-ASCII) is an *odd* row computed in Python — rare in real data,
  a handful per batch at most. Text of address characters PostgreSQL cannot cast
  ("256.1.1.1") fails the statement: the rule's batches are then *careful*, leaving to
  Python all text not shaped as an address PostgreSQL surely reads.
* Other engines: no rewrite in SQL for ``ip`` and ``hash``; the batch is computed in
  Python and written with one ``executemany`` per batch.

``hash`` is HMAC-SHA256 with the tenant's key, the same value erasure writes. PostgreSQL
builds it from its own ``sha256()`` (HMAC = H(k⊕opad ‖ H(k⊕ipad ‖ m))); SQLite calls
Python's ``hmac``. A value that already is a 64-hex digest is left alone.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from dsar.datamap.model import ColumnStrategy
from dsar.domain.ip_masking import MASKED_BITS, MASKED_ENDINGS, mask_ip
from dsar.errors import DsarError

_DIGEST = re.compile(r"[0-9a-f]{64}")
#: Text that starts with an ISO date (YYYY-MM-DD), the only text a cutoff can find old.
ISO_DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]*"
ISO_DATE_REGEX = "^[0-9]{4}-[0-1][0-9]-[0-3][0-9]"
#: The most days one batch's rows may span for their dates to be tested by text ranges
#: (``day_runs``; no pattern per row); a wider batch is tested by the pattern. A span runs
#: at most to the first day of the next run of days (``next_run_start``, ten days on at
#: most), that day included.
MAX_BATCH_DAYS = 11
#: SQLite in WAL mode: pages the log may hold during a run before it is copied back (64 MiB
#: at 4 KiB pages; SQLite's default is 1,000).
WAL_PAGES_PER_CHECKPOINT = 16384
#: A character that is none of an address's (hex digits, ``:``, ``.``). Searching for one
#: took, on PostgreSQL 15, 0.16 µs a row against 0.22 for matching the whole text to
#: ``^[0-9A-Fa-f:.]*$``, and a fifth of the time of ``ltrim`` over the characters.
PG_NOT_ADDRESS_CHARACTER = "[^0-9A-Fa-f:.]"
#: PostgreSQL: set (for its transaction) by an UPDATE that left odd rows to Python.
ODD_ROWS_SETTING = "dsar.odd_rows"
#: PostgreSQL: the most odd rows of one UPDATE named by their position for Python to read back.
ODD_ROWS_NAMED = 1000


@dataclass(frozen=True)
class Rewrite:
    """How SQL rewrites one column: its new value, whether a row changes, odd rows."""

    new: sa.ColumnElement
    changes: sa.ColumnElement[bool]  # odd rows included: the dry run counts these
    odd: sa.ColumnElement[bool] | None = None  # rows whose new value Python computes
    #: The rows the UPDATE writes: those that change, but for the odd ones. None: ``changes``
    #: (a rewrite without odd rows). One expression, so that a test the database cannot
    #: reorder keeps any cast behind the checks that make it safe.
    written: sa.ColumnElement[bool] | None = None

    @property
    def writes(self) -> sa.ColumnElement[bool]:
        return self.changes if self.written is None else self.written


Target = tuple[sa.Column, ColumnStrategy]  # a column and how it is anonymized


def python_value(strategy: ColumnStrategy, value, hash_key: bytes):
    """The anonymized value of one column, computed in Python (the reference)."""
    if value is None or strategy.kind == "null":
        return None
    if strategy.kind == "redact":
        return strategy.text
    if strategy.kind == "hash":
        if isinstance(value, str) and _DIGEST.fullmatch(value):
            return value
        return hmac.new(hash_key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return masked_or_none(value, strategy.level)


def masked_or_none(value, level: int) -> str | None:
    """``mask_ip`` of the value, or None where it is not an IP address at all."""
    if value is None:
        return None
    try:
        return mask_ip(str(value), level)
    except DsarError:
        return None


def _hmac_hex(key: bytes, value) -> str | None:
    return python_value(ColumnStrategy("hash"), value, key)


def _masking_changes(col: sa.Column, changes: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """Whether masking changes a row: ``changes`` is asked only of text that could be masked
    already (it ends as every masked address does, ``MASKED_ENDINGS``); other text always
    changes. Most rows of a first run are then tested by their ending alone, and the address
    is read once, in the ``SET``, not again in the ``WHERE``."""
    return sa.case((col.is_(None), sa.false()), (sa.not_(_could_be_masked(col)), sa.true()), else_=changes)


def _could_be_masked(col: sa.Column) -> sa.ColumnElement[bool]:
    """The text ends as every masked address does (``MASKED_ENDINGS``)."""
    return sa.or_(*(col.like(f"%{ending}") for ending in MASKED_ENDINGS))


def _common(col: sa.Column, strategy: ColumnStrategy) -> Rewrite | None:
    if strategy.kind == "null":
        return Rewrite(sa.null(), col.is_not(None))
    if strategy.kind == "redact":
        text = sa.literal(strategy.text, sa.String)
        return Rewrite(sa.case((col.is_(None), sa.null()), else_=text), sa.and_(col.is_not(None), col != text))
    return None


class Flavour:
    """Any SQLAlchemy dialect: plain comparisons; ``ip`` and ``hash`` computed in Python."""

    name = "generic"
    #: Whether ``expired`` takes a batch's ``days`` (text ranges instead of a pattern per row).
    day_ranges = False
    #: Batches walk (cutoff column, key) — windows of the cutoff column's index, see
    #: ``index_range`` — or, where False, the key alone (any dialect).
    keyset = False
    #: Windows end at a value of the cutoff column (``ORDER BY col`` alone), where the
    #: index does not hold the key in its order (see ``enforcement._Batches._value_window``).
    value_windows = False

    def prepare(self, connection: sa.Connection) -> None:
        """Make the connection ready (functions, session settings); once per checkout."""

    def finish(self, connection: sa.Connection) -> None:
        """Put back what ``prepare`` changed for the run only; once the source's rules are done."""

    @contextmanager
    def time_limit(self, connection: sa.Connection, seconds: float):
        """The statements run inside stop after ``seconds`` (``interrupted`` tells the error
        apart); engines without a way to stop a statement run them unlimited."""
        yield

    def interrupted(self, error: exc.DBAPIError) -> bool:
        """Whether ``error`` is a statement stopped by ``time_limit``."""
        return False

    def ordered(self, col: sa.Column) -> sa.ColumnElement:
        """The cutoff column as batches order by it and compare positions in it."""
        return col

    def tested(self, ordered: sa.ColumnElement) -> sa.ColumnElement:
        """``ordered`` (see ``ordered``) as tests evaluated on every row read it."""
        return ordered

    def index_range(self, col: sa.Column, cutoff: datetime) -> sa.ColumnElement[bool]:
        """A plain range of the cutoff column holding every row ``expired`` finds (and a few
        more near the cutoff): what a batch's window walks in the index, rule unevaluated."""
        return self.expired(col, cutoff)

    def index_bound(self, cutoff: datetime) -> str | None:
        """The text ``index_range`` stays below on ISO text (None: not a text range)."""
        return None

    def index_top(self, col: sa.Column, cutoff: datetime):
        """The value (as ``ordered`` reads the column) ``index_range`` stays below, for spans
        of values (``enforcement._Batches._span_window``); None: no spans."""
        return None

    def expired(self, col: sa.Column, cutoff: datetime, days: str | None = None) -> sa.ColumnElement[bool]:
        """Rows of ``col`` strictly older than ``cutoff``. On ISO text, ``days`` replaces
        the per-row date pattern by text ranges covering the days a batch's values can
        start with given as the statement's parameters (:func:`day_parameters`): ``"near"``
        keeps the test near the cutoff, ``"old"`` (every such day is two days or more
        before the cutoff's: older whatever the spelling) drops it; ``"… held"`` (the
        batch's own range holds its text to those days, ``held_to_days``) drops the day
        ranges too."""
        naive = cutoff.astimezone(timezone.utc).replace(tzinfo=None)
        if isinstance(col.type, sa.String):
            return sa.cast(col, sa.DateTime) < naive
        if isinstance(col.type, sa.DateTime) and col.type.timezone:
            return col < cutoff
        return col < naive

    def _iso_text_expired(self, col: sa.Column, cutoff: datetime, looks_like_a_date: sa.ColumnElement[bool],
                          instant_older: sa.ColumnElement[bool], days: str | None = None,
                          tested: sa.ColumnElement | None = None) -> sa.ColumnElement[bool]:
        """ISO text older than ``cutoff``: one index range, instants compared only near it.
        ``tested`` is the text as the per-row tests read it (default: the column)."""
        surely_before, surely_after = _iso_bounds(cutoff)
        # type_coerce, not CAST: the column itself is compared, so its index serves (the
        # flavours call this only where the column holds text). One range of the index,
        # in the index's order, so a batch ``ORDER BY col LIMIT n`` reads n entries.
        text = col if isinstance(col.type, sa.String) else sa.type_coerce(col, sa.String)
        tested = text if tested is None else tested
        if days:
            # A range per run of days (``day_runs``): text in one starts with one of its
            # calendar dates, so a row costs a few comparisons instead of a pattern. Text
            # between two runs ("2025-01-0:", "2010 was…") is in none of them. Compared
            # byte by byte whatever the column's collation (only flavours whose windows are
            # in that order pass ``days``: ``day_ranges``). Slots past the runs repeat the
            # last one: a row in a run never reaches them.
            binary = tested.collate("BINARY")
            ranges = (sa.and_(binary >= sa.bindparam(f"_day{n}", type_=sa.String),
                              binary < sa.bindparam(f"_day{n}_end", type_=sa.String)) for n in range(MAX_BATCH_DAYS))
            looks_like_a_date = sa.true() if days.endswith(" held") else sa.or_(*ranges)
            if days.startswith("old"):
                return looks_like_a_date
        return sa.and_(text < surely_after, looks_like_a_date, sa.or_(tested < surely_before, instant_older))

    def rewrite(self, col: sa.Column, strategy: ColumnStrategy, hash_key: bytes,
                careful: bool = False) -> Rewrite | None:
        """``careful``: after a statement failed on a value SQL could not read (a cast),
        leave to Python every value SQL might not read; flavours without such casts ignore it."""
        return _common(col, strategy)

    def left_alone(self, odd: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        """In an UPDATE's ``WHERE``: false for an ``odd`` row, which the UPDATE leaves to Python."""
        return sa.not_(odd)

    def odd_rows_left(self, connection: sa.Connection) -> sa.ColumnElement[bool] | None:
        """The odd rows the last UPDATE of this transaction left to Python, as a condition
        narrowing the batch's odd rows (``true``: all of them); None: it left none."""
        return sa.true()

    def rewrite_rows(self, table: sa.Table, targets: list[Target], where: sa.ColumnElement[bool],
                     hash_key: bytes, careful: bool = False) -> sa.Update:
        """The UPDATE giving the rows ``where`` their new values, touching only rows that
        change, and no odd row: Python computes those (a row odd in one column, in all its
        columns, so that it is counted once)."""
        rewrites = [self.rewrite(col, strategy, hash_key, careful) for col, strategy in targets]
        odd = [rw.odd for rw in rewrites if rw.odd is not None]
        # A column's own odd rows are left out by its ``written``; only another column's need a guard.
        guards = [self.left_alone(o) for o in odd] if len(rewrites) > 1 else []
        return (sa.update(table).where(where, *guards, sa.or_(*(rw.writes for rw in rewrites)))
                .values({col.name: rw.new for (col, _), rw in zip(targets, rewrites)}))


def iso_day(text) -> date | None:
    """The calendar date ``text`` starts with, spelled YYYY-MM-DD; None when it does not."""
    if not isinstance(text, str) or len(text) < 10:
        return None
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    return day if day.isoformat() == text[:10] else None


def batch_days(first, last) -> tuple[str, ...] | None:
    """The ISO dates text sorted from ``first`` to ``last`` (a batch's ends in the index)
    can start with, oldest first; None when an end starts with no date or the batch spans
    more than ``MAX_BATCH_DAYS`` days (the per-row pattern then decides)."""
    start, end = iso_day(first), iso_day(last)
    if start is None or end is None or not 0 <= (end - start).days < MAX_BATCH_DAYS:
        return None
    return tuple((start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1))


def days_kind(days: tuple[str, ...] | None, cutoff: datetime, low=None, high=None,
              high_included: bool = False) -> str | None:
    """How ``expired`` tests a batch whose ISO text starts with one of ``days``: "old"
    when every day is two days or more before the cutoff's, else "near"; None without days.
    " held" follows where the batch's own range, text from ``low`` up to ``high``, already
    holds its text to those days (``held_to_days``): the day ranges are then left out."""
    if not days:
        return None
    kind = "old" if days[-1] < _iso_bounds(cutoff)[0] else "near"
    return f"{kind} held" if held_to_days(days, low, high, high_included) else kind


def held_to_days(days: tuple[str, ...], low, high, high_included: bool = False) -> bool:
    """Whether all text from ``low`` up to ``high`` (``high`` itself included or not) starts
    with one of ``days``: the days are one of ``day_runs``, and the ends lie in its range."""
    runs = day_runs(days)
    if len(runs) != 1 or not isinstance(low, str) or not isinstance(high, str):
        return False
    start, end = runs[0]
    return low >= start and (high < end if high_included else high <= end)


def next_run_start(day: date) -> date:
    """The first day after the run ``day`` is in (``day_runs``): the next 10th, 20th or 30th
    of its month, or the first of the next month."""
    try:
        return day.replace(day=(day.day // 10 + 1) * 10)
    except ValueError:  # no such day in the month: the run lasts to its end
        return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def day_runs(days: tuple[str, ...]) -> list[tuple[str, str]]:
    """``days`` (ISO dates, oldest first) as ranges of text ``start <= text < end``, each
    holding exactly the text that starts with one of its days. A day's range ends at the
    day with its last digit raised by one ("2025-02-27" ends at "2025-02-28"): text below
    that and from the day on has the day's ten characters first, whatever follows. So a
    day that begins where the last range ends joins it: 21 to 27 February is one range,
    ["2025-02-21", "2025-02-28"); 9 and 10 January are two ("2025-01-0:" is between them),
    as are 28 February and 1 March. Eleven days are at most three ranges."""
    runs: list[tuple[str, str]] = []
    for day in days:
        end = day[:-1] + chr(ord(day[-1]) + 1)
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((day, end))
    return runs


def day_parameters(days: tuple[str, ...]) -> dict[str, str]:
    """The parameters of ``expired(…, days=True)`` for a batch of ``days`` (one to
    ``MAX_BATCH_DAYS``): its ``day_runs``, the last repeated in the slots left."""
    runs = day_runs(days)
    padded = runs + [runs[-1]] * (MAX_BATCH_DAYS - len(runs))
    return {key: value for n, (start, end) in enumerate(padded)
            for key, value in ((f"_day{n}", start), (f"_day{n}_end", end))}


def _iso_bounds(cutoff: datetime) -> tuple[str, str]:
    """ISO text below the first is older than ``cutoff`` whatever its spelling; text from
    the second on is newer."""
    day = cutoff.astimezone(timezone.utc).date()
    return (day - timedelta(days=2)).isoformat(), (day + timedelta(days=2)).isoformat()


class SqliteFlavour(Flavour):
    name = "sqlite"
    keyset = True
    day_ranges = True
    _checkpoint_every: int | None = None  # the connection's own setting, while a run changes it

    def ordered(self, col: sa.Column) -> sa.ColumnElement:
        # The stored text itself (a DateTime column holds text too): no parsing on the way
        # out, and bound back unchanged, so positions compare exactly as the index orders.
        return col if isinstance(col.type, sa.String) else sa.type_coerce(col, sa.String)

    def tested(self, ordered: sa.ColumnElement) -> sa.ColumnElement:
        # ``+col``: the same text without the column's affinity, so a DATETIME (NUMERIC)
        # column does not try to read the other side as a number on every row. No index
        # serves it: only for tests beside a range of the column itself.
        return UnaryExpression(ordered, operator=operators.custom_op("+"), type_=sa.String)

    def index_range(self, col: sa.Column, cutoff: datetime) -> sa.ColumnElement[bool]:
        return self.ordered(col) < _iso_bounds(cutoff)[1]

    def index_bound(self, cutoff: datetime) -> str | None:
        return _iso_bounds(cutoff)[1]

    def index_top(self, col: sa.Column, cutoff: datetime):
        return self.index_bound(cutoff)  # positions are the stored text, whatever the type

    def prepare(self, connection: sa.Connection) -> None:
        raw = connection.connection.driver_connection
        if raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            # A commit per batch need not wait for the disk: in WAL mode NORMAL keeps the
            # database consistent on any crash, and a batch lost to a power cut is simply
            # found again by the next run (retention is idempotent). This connection only.
            raw.execute("PRAGMA synchronous = NORMAL")
            # Nor need each few batches copy the log back into the database (a checkpoint,
            # which waits for the disk): once at the end of the run (``finish``) does it.
            self._checkpoint_every = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
            raw.execute(f"PRAGMA wal_autocheckpoint = {max(self._checkpoint_every, WAL_PAGES_PER_CHECKPOINT)}")
        # No cache in front: masking text costs about what looking it up would (``mask_ip``
        # reads the usual forms without parsing them), and a run's addresses rarely repeat.
        raw.create_function("dsar_mask_ip", 2, masked_or_none, deterministic=True)
        raw.create_function("dsar_hmac", 2, _hmac_hex, deterministic=True)

    @contextmanager
    def time_limit(self, connection: sa.Connection, seconds: float):
        # SQLite asks the handler every thousand steps of a statement; a true answer stops it.
        raw = connection.connection.driver_connection
        deadline = time.perf_counter() + seconds
        raw.set_progress_handler(lambda: time.perf_counter() > deadline, 1000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)

    def interrupted(self, error: exc.DBAPIError) -> bool:
        return isinstance(error, exc.OperationalError) and "interrupted" in str(error.orig)

    def finish(self, connection: sa.Connection) -> None:
        if self._checkpoint_every is not None:
            raw = connection.connection.driver_connection
            raw.execute(f"PRAGMA wal_autocheckpoint = {self._checkpoint_every}")
            raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self._checkpoint_every = None

    def expired(self, col: sa.Column, cutoff: datetime, days: str | None = None) -> sa.ColumnElement[bool]:
        # Text in SQLite whatever the declared type (DateTime too): ISO text, judged as instants.
        moment = cutoff.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ")
        instant_older = sa.func.julianday(col) < sa.func.julianday(sa.literal(moment, sa.String))
        tested = self.tested(self.ordered(col))  # the index range stays on the column itself
        looks_like_a_date = tested.op("GLOB", is_comparison=True)(sa.literal(ISO_DATE_GLOB))
        return self._iso_text_expired(col, cutoff, looks_like_a_date, instant_older, days, tested)

    def rewrite(self, col: sa.Column, strategy: ColumnStrategy, hash_key: bytes,
                careful: bool = False) -> Rewrite | None:
        if strategy.kind == "ip":  # Python's own mask_ip: nothing SQL could fail to read
            masked = sa.func.dsar_mask_ip(col, strategy.level)
            return Rewrite(masked, _masking_changes(col, col.is_distinct_from(masked)))
        if strategy.kind == "hash":
            digest = sa.and_(sa.func.length(col) == 64, sa.not_(col.op("GLOB", is_comparison=True)("*[^0-9a-f]*")))
            keyed = sa.func.dsar_hmac(sa.literal(hash_key, sa.LargeBinary), col)
            return Rewrite(sa.case((sa.or_(col.is_(None), digest), col), else_=keyed),
                           sa.and_(col.is_not(None), sa.not_(digest)))
        return _common(col, strategy)


class PostgresFlavour(Flavour):
    name = "postgresql"
    keyset = True
    value_windows = True  # a B-tree on the column orders ties by heap position, not by key

    def index_range(self, col: sa.Column, cutoff: datetime) -> sa.ColumnElement[bool]:
        if isinstance(col.type, sa.String):
            return col < _iso_bounds(cutoff)[1]
        return super().expired(col, cutoff)

    def index_bound(self, cutoff: datetime) -> str | None:
        return _iso_bounds(cutoff)[1]

    def index_top(self, col: sa.Column, cutoff: datetime):
        if isinstance(col.type, sa.String):
            return self.index_bound(cutoff)
        if isinstance(col.type, sa.DateTime):
            return cutoff if col.type.timezone else cutoff.astimezone(timezone.utc).replace(tzinfo=None)
        return None  # dates, numbers: walked windows only

    def prepare(self, connection: sa.Connection) -> None:
        # ISO text without an offset means UTC, as every naive timestamp here does.
        connection.exec_driver_sql("SET TIME ZONE 'UTC'")
        connection.commit()

    @contextmanager
    def time_limit(self, connection: sa.Connection, seconds: float):
        # For the rest of this transaction only (SET LOCAL): the batch's statements.
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}")
        yield

    def interrupted(self, error: exc.DBAPIError) -> bool:
        return getattr(error.orig, "sqlstate", None) == "57014"  # query_canceled

    def expired(self, col: sa.Column, cutoff: datetime, days: str | None = None) -> sa.ColumnElement[bool]:
        if isinstance(col.type, sa.String):
            # The cast runs only on rows that start with an ISO date (CASE keeps the order).
            looks_like_a_date = _matches(col, ISO_DATE_REGEX)
            instant_older = sa.case((looks_like_a_date, sa.cast(col, sa.DateTime(timezone=True)) < cutoff),
                                    else_=sa.false())
            return self._iso_text_expired(col, cutoff, looks_like_a_date, instant_older)  # its own order
        return super().expired(col, cutoff)

    def left_alone(self, odd: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        # An odd row left alone says where it lies (its ctid), in a setting of this
        # transaction only: most batches have none, and need not be read again to find them
        # (RETURNING cost more than that); a batch with a few has those read back by their
        # position; past ``ODD_ROWS_NAMED``, the setting says "many" and the batch is read again.
        named = sa.func.coalesce(sa.func.current_setting(ODD_ROWS_SETTING, sa.true()), "")
        position = sa.cast(sa.literal_column("ctid"), sa.Text)  # the UPDATE's own table: its WHERE names no other
        value = sa.case((named == "many", "many"), (sa.func.length(named) > 16 * ODD_ROWS_NAMED, "many"),
                        else_=named.op("||")('"').op("||")(position).op("||")('",'))
        said = sa.func.set_config(ODD_ROWS_SETTING, value, sa.true()).is_(None)  # false, once said
        return sa.case((odd, said), else_=sa.true())

    def odd_rows_left(self, connection: sa.Connection) -> sa.ColumnElement[bool] | None:
        said = connection.execute(sa.select(sa.func.current_setting(ODD_ROWS_SETTING, sa.true()))).scalar()
        if not said:
            return None
        if said == "many":
            return sa.true()
        positions = sa.bindparam("_odd_rows", "{" + said.rstrip(",") + "}")
        return sa.literal_column("ctid") == sa.func.any(sa.cast(positions, _Positions()))

    def rewrite(self, col: sa.Column, strategy: ColumnStrategy, hash_key: bytes,
                careful: bool = False) -> Rewrite | None:
        if strategy.kind == "ip":
            return self._mask(col, strategy.level, careful)
        if strategy.kind == "hash":
            text = sa.cast(col, sa.Text)
            digest = _matches(text, "^[0-9a-f]{64}$")
            return Rewrite(sa.case((sa.or_(col.is_(None), digest), col), else_=_pg_hmac(text, hash_key)),
                           sa.and_(col.is_not(None), sa.not_(digest)))
        return _common(col, strategy)

    def _mask(self, col: sa.Column, level: int, careful: bool = False) -> Rewrite:
        from sqlalchemy.dialects import postgresql  # start-up: SQLite sources never load it

        if isinstance(col.type, postgresql.INET):
            masked = sa.cast(_pg_masked(col, level), postgresql.INET)
            return Rewrite(masked, sa.and_(col.is_not(None), col != masked))
        # Address characters only, and a dot or a colon: PostgreSQL can read it. Hex and
        # colons alone it reads as Python does. Dotted text it reads as Python does where it
        # prints it back unchanged (but for the case of hex digits): other dotted text
        # (leading zeros, "1.2.3.4.", "::ffff:1.23") and address-like text with any other
        # character (spaces, zone ids, non-ASCII) is an *odd* row computed in Python — rare
        # in real data. Text with neither a dot nor a colon, whatever else it holds ("-",
        # "unknown", "n/a": common in real logs), and an address with its port are no
        # address: SQL empties them, as Python would. Other text that passes yet is no
        # address (1::2::3, 256.1.1.1) makes the cast fail, and with it the statement; the
        # rule's batches are then ``careful``: text not shaped as an address PostgreSQL
        # surely reads (``_pg_surely_read``) is an odd row too.
        other_character = _matches(col, PG_NOT_ADDRESS_CHARACTER)
        dotted = _holds(col, ".")
        address_like = sa.or_(dotted, _holds(col, ":"))
        inet = sa.cast(col, postgresql.INET)
        # CASE, not OR: only CASE fixes the order, and the cast must follow the checks.
        unread = [(sa.and_(address_like, sa.not_(_with_port(col)), sa.not_(_pg_surely_read(col))), sa.true())] \
            if careful else []
        read_back = sa.case((_with_port(col), sa.false()), else_=sa.func.host(inet) != sa.func.lower(col))
        odd = sa.case((col.is_(None), sa.false()), (other_character, address_like), *unread, (dotted, read_back),
                      else_=sa.false())
        new = _pg_masked_text(col, inet, level)
        # An odd row always changes (Python's answer is canonical text or nothing).
        changes = _masking_changes(col, sa.case((odd, sa.true()), else_=col.is_distinct_from(new)))
        # Text ending as a masked address is most often one: PostgreSQL's own masked text
        # is canonical, so equal to its mask it is no odd row and is done, read once.
        written = sa.case((col.is_(None), sa.false()), (sa.not_(_could_be_masked(col)), self.left_alone(odd)),
                          (other_character, self.left_alone(sa.true())),
                          *((test, self.left_alone(sa.true())) for test, _ in unread), (col == new, sa.false()),
                          else_=self.left_alone(odd))
        return Rewrite(new, changes, odd, written)


class _Positions(sa.types.UserDefinedType):
    """PostgreSQL's ``tid[]``: rows by their physical position."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "tid[]"


def _pg_masked_text(col: sa.ColumnElement, inet: sa.ColumnElement, level: int) -> sa.ColumnElement:
    """Address text masked: text with a colon is IPv6 (or an IPv4-mapped one), other dotted
    text IPv4 — read from the text itself, which saves ``family()`` a cast a row. An address
    with its port is none (emptied), and is never cast."""
    return sa.case((_holds(col, ":"), sa.case((_with_port(col), sa.null()), else_=_pg_masked_v6(inet, level))),
                   (_holds(col, "."), _pg_kept(inet, 32 - MASKED_BITS[4][level])),
                   else_=sa.null())


#: Dotted IPv4 without leading zeros, and ``::ffff:`` before it: text PostgreSQL's ``inet``
#: surely reads (see ``_pg_surely_read``).
_PG_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
PG_SURELY_IPV4 = f"^{_PG_OCTET}(\\.{_PG_OCTET}){{3}}$"
PG_SURELY_MAPPED = f"^::ffff:{_PG_OCTET}(\\.{_PG_OCTET}){{3}}$"


def _pg_surely_read(col: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Text of address characters shaped as an address PostgreSQL's cast surely reads: IPv4
    and mapped IPv4 as above, IPv6 of hex groups (``_pg_surely_ipv6``). Other address-like
    text ("256.1.1.1", "1::2::3", but also "::1.2.3.4") is left to Python by a careful
    rewrite (``PostgresFlavour._mask``); most of it is no address."""
    return sa.case((_holds(col, ":"), sa.case((_holds(col, "."), _matches(col, PG_SURELY_MAPPED, "~*")),
                                              else_=_pg_surely_ipv6(col))),
                   else_=_matches(col, PG_SURELY_IPV4))


def _matches(col: sa.ColumnElement, pattern: str, operator: str = "~") -> sa.ColumnElement[bool]:
    """The text matches the regular expression ``pattern`` (``~*``: ignoring case)."""
    return col.op(operator, is_comparison=True)(sa.literal(pattern))


def _pg_surely_ipv6(col: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """Hex digits and colons PostgreSQL surely reads as IPv6: groups of at most four digits,
    no colon alone at either end, at most one ``::`` and then at most seven colons, or else
    exactly seven (eight groups). Measured on PostgreSQL 15: 1.4 µs a row, against 2.5–2.9
    for one regular expression saying the same."""
    colons = sa.func.length(col) - sa.func.length(sa.func.replace(col, ":", ""))
    after_first_pair = sa.func.substr(col, sa.func.strpos(col, "::") + 1)
    return sa.and_(colons <= 7, sa.or_(_holds(col, "::"), colons == 7),
                   sa.func.strpos(after_first_pair, "::") == 0,
                   sa.not_(_matches(col, "[^:]{5}")),
                   sa.or_(col.not_like(":%"), col.like("::%")), sa.or_(col.not_like("%:"), col.like("%::")))


def _holds(col: sa.ColumnElement, character: str) -> sa.ColumnElement[bool]:
    return sa.func.strpos(col, character) > 0


def _with_port(col: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """A colon after a dot: an IPv4 address and its port ("203.0.113.9:51234", as some
    proxies log a client), which neither Python nor PostgreSQL reads as an address (an
    IPv6 address holds its dotted part last). PostgreSQL's cast would fail on it, and with
    it the whole batch; so it is tested first (``LIKE``: a third of a regular expression's
    cost, 0.04 µs a row)."""
    return col.like("%.%:%")


def _pg_masked(inet: sa.ColumnElement, level: int) -> sa.ColumnElement:
    return sa.case((sa.func.family(inet) == 4, _pg_kept(inet, 32 - MASKED_BITS[4][level])),
                   else_=_pg_masked_v6(inet, level))


def _pg_masked_v6(inet: sa.ColumnElement, level: int) -> sa.ColumnElement:
    """An IPv6 address masked; an IPv4-mapped one on its IPv4 part."""
    mapped = inet.op("<<", is_comparison=True)(sa.literal_column("'::ffff:0.0.0.0/96'::inet"))
    return sa.case((mapped, _pg_kept(inet, 128 - MASKED_BITS[4][level])), else_=_pg_kept(inet, 128 - MASKED_BITS[6][level]))


def _pg_kept(inet: sa.ColumnElement, bits: int) -> sa.ColumnElement:
    """The address with all but its first ``bits`` zeroed, as text."""
    return sa.func.host(sa.func.network(sa.func.set_masklen(inet, bits)))


def _pg_hmac(text: sa.ColumnElement, key: bytes) -> sa.ColumnElement:
    inner, outer = hmac_pads(key)
    message = sa.func.convert_to(text, "UTF8")
    first = sa.func.sha256(sa.literal(inner, sa.LargeBinary).op("||")(message))
    return sa.func.encode(sa.func.sha256(sa.literal(outer, sa.LargeBinary).op("||")(first)), "hex")


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256's inner and outer padded keys (RFC 2104), for SQL that has only SHA-256."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


FLAVOURS = {"sqlite": SqliteFlavour, "postgresql": PostgresFlavour}


def flavour_for(dialect_name: str) -> Flavour:
    return FLAVOURS.get(dialect_name, Flavour)()
