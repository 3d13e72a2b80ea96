"""Figures a business must be able to give about its requests (SPEC §1, CCPA regs §7101–§7102).

- ``metrics``: per calendar year of receipt and request type, how many were received,
  complied with in whole, in part, denied (and withdrawn, expired, still open), and the
  median and mean days from receipt to the substantive response.
- ``register``: one line per request with exactly the §7101 record — date received, type,
  channel, response date, outcome, denial reason — and no identifier of the subject.
- ``weekly_counts`` and ``deadline_attainment``: the series the dashboard charts.

Days to respond are calendar days from the date received to the date completed; a
substantive response is a completion with outcome complied, complied in part or denied.
"""
from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import extract, select

from dsar.domain.request_states import REQUEST_TYPES
from dsar.extensions import db
from dsar.models import RightsRequest

RESPONDED = ("complied", "complied_in_part", "denied")
REGISTER_FIELDS = ("received_on", "type", "channel", "regime", "responded_on", "outcome", "denial_reason")


@dataclass(frozen=True)
class TypeMetrics:
    type: str
    received: int
    complied: int
    complied_in_part: int
    denied: int
    withdrawn: int
    expired: int
    open: int
    median_days: float | None
    mean_days: float | None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class YearMetrics:
    tenant_id: int
    year: int
    by_type: list[TypeMetrics]
    total: TypeMetrics


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (datetime(year, 1, 1, tzinfo=timezone.utc), datetime(year + 1, 1, 1, tzinfo=timezone.utc))


def _rows(tenant_id: int, year: int | None, *columns):
    query = select(*columns).where(RightsRequest.tenant_id == tenant_id)
    if year is not None:
        start, end = _year_bounds(year)
        query = query.where(RightsRequest.received_at >= start, RightsRequest.received_at < end)
    return db.session.execute(query.order_by(RightsRequest.received_at, RightsRequest.id)).all()


def days_to_respond(received_at: datetime, completed_at: datetime) -> int:
    return (completed_at.date() - received_at.date()).days


def metrics(tenant_id: int, year: int) -> YearMetrics:
    """The §7102 figures of requests received in ``year``, per type and in total."""
    rows = _rows(tenant_id, year, RightsRequest.type, RightsRequest.outcome, RightsRequest.received_at,
                 RightsRequest.completed_at)
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.type].append(row)
    by_type = [_summarise(kind, grouped[kind]) for kind in REQUEST_TYPES if grouped[kind]]
    return YearMetrics(tenant_id, year, by_type, _summarise("all", rows))


def _summarise(kind: str, rows: Iterable) -> TypeMetrics:
    rows = list(rows)
    outcomes = Counter(row.outcome for row in rows)
    days = [days_to_respond(r.received_at, r.completed_at) for r in rows
            if r.outcome in RESPONDED and r.completed_at is not None]
    return TypeMetrics(
        type=kind, received=len(rows), complied=outcomes["complied"],
        complied_in_part=outcomes["complied_in_part"], denied=outcomes["denied"],
        withdrawn=outcomes["withdrawn"], expired=outcomes["expired"], open=outcomes[None],
        median_days=float(statistics.median(days)) if days else None,
        mean_days=round(statistics.fmean(days), 1) if days else None)


@dataclass(frozen=True)
class RegisterEntry:
    received_on: date
    type: str
    channel: str
    regime: str
    responded_on: date | None
    outcome: str | None
    denial_reason: str | None


def register(tenant_id: int, year: int | None = None) -> list[RegisterEntry]:
    """The request register (§7101): what happened to each request, nothing about who asked."""
    rows = _rows(tenant_id, year, RightsRequest.received_at, RightsRequest.type, RightsRequest.channel,
                 RightsRequest.regime, RightsRequest.completed_at, RightsRequest.outcome,
                 RightsRequest.denial_reason)
    return [RegisterEntry(r.received_at.date(), r.type, r.channel, r.regime,
                          r.completed_at.date() if r.completed_at else None, r.outcome, r.denial_reason)
            for r in rows]


def register_csv(entries: Iterable[RegisterEntry]) -> Iterator[str]:
    """The register as CSV text, one chunk per line (streamable)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(REGISTER_FIELDS)
    yield flush()
    for entry in entries:
        writer.writerow([_cell(getattr(entry, name)) for name in REGISTER_FIELDS])
        yield flush()


def _cell(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_counts(tenant_id: int, year: int) -> dict[date, Counter]:
    """Requests received per ISO week (keyed by its Monday) and type, every week of the year."""
    rows = _rows(tenant_id, year, RightsRequest.received_at, RightsRequest.type)
    weeks: dict[date, Counter] = {}
    monday = week_start(date(year, 1, 1))
    while monday <= date(year, 12, 31):
        weeks[monday] = Counter()
        monday += timedelta(days=7)
    for row in rows:
        weeks[week_start(row.received_at.date())][row.type] += 1
    return weeks


@dataclass(frozen=True)
class Attainment:
    on_time: int
    late: int


def deadline_attainment(tenant_id: int, year: int) -> dict[int, Attainment]:
    """Per month of receipt (1–12): responses on or before the legal deadline in force, and late."""
    rows = _rows(tenant_id, year, RightsRequest.received_at, RightsRequest.completed_at, RightsRequest.outcome,
                 RightsRequest.due_date, RightsRequest.extended_to)
    tally = {month: [0, 0] for month in range(1, 13)}
    for row in rows:
        if row.outcome not in RESPONDED or row.completed_at is None:
            continue
        late = row.completed_at.date() > (row.extended_to or row.due_date)
        tally[row.received_at.month][1 if late else 0] += 1
    return {month: Attainment(*counts) for month, counts in tally.items()}


def years_with_requests(tenant_id: int) -> list[int]:
    """Calendar years in which the tenant received requests, newest first."""
    year = extract("year", RightsRequest.received_at)
    found = db.session.execute(select(year).where(RightsRequest.tenant_id == tenant_id).distinct()).scalars()
    return sorted((int(value) for value in found), reverse=True)
