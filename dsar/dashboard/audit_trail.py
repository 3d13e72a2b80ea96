"""The audit trail of one tenant: its events, and a check of its hash chain.

``dsar.services.audit.verify_chain`` checks every tenant at once (for the CLI); a tenant's
staff must see only their own chain, so the same check runs here on one tenant's events,
with the same hash function.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from dsar.extensions import db
from dsar.models import AuditEvent, RightsRequest, for_tenant
from dsar.services.audit import GENESIS, event_hash


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    broken_event_id: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_event_id is None


def verify_tenant_chain(tenant_id: int, batch: int = 1000) -> ChainCheck:
    """Walk the tenant's chain in id order (in batches); stop at the first broken link."""
    prev, checked, after = GENESIS, 0, 0
    while True:
        events = db.session.execute(
            for_tenant(AuditEvent, tenant_id).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not events:
            return ChainCheck(checked)
        for event in events:
            checked += 1
            if event.prev_hash != prev:
                return ChainCheck(checked, event.id, "an earlier event was deleted or reordered")
            if event_hash(event, prev) != event.hash:
                return ChainCheck(checked, event.id, "this event was edited after it was written")
            prev, after = event.hash, event.id


@dataclass(frozen=True)
class EventPage:
    events: list[tuple[AuditEvent, str | None]]  # (event, request reference)
    page: int
    pages: int


def events(tenant_id: int, *, request_id: int | None = None, page: int = 1, per_page: int = 100) -> EventPage:
    """The tenant's events, newest first, with the reference of the request each concerns."""
    query = for_tenant(AuditEvent, tenant_id)
    if request_id is not None:
        query = query.where(AuditEvent.request_id == request_id)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        query.add_columns(RightsRequest.reference)
        .outerjoin(RightsRequest, RightsRequest.id == AuditEvent.request_id)
        .order_by(AuditEvent.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return EventPage([(row[0], row[1]) for row in rows], page, pages)
