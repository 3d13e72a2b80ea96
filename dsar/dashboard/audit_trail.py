"""The audit trail of one tenant, page by page; its chain is checked by
``dsar.services.audit.verify_tenant_chain`` (staff see only their own tenant's chain)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from dsar.extensions import db
from dsar.models import AuditEvent, RightsRequest, for_tenant


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
