"""What a request's page shows, gathered from the tenant's rows in one place.

The subject's identifiers are decrypted here for staff eyes only; nothing of it goes to
logs or the audit trail.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from dsar.dashboard.deadline_badges import Badge, badge
from dsar.dashboard.request_actions import fulfilment_service
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import AuditEvent, Export, OutboxMessage, RightsRequest, Task, for_tenant, utcnow
from dsar.services.lifecycle import Subject, subject_of


@dataclass(frozen=True)
class Message:
    row: OutboxMessage
    to: str | None


@dataclass(frozen=True)
class TaskView:
    row: Task
    details: str | None


@dataclass
class RequestPage:
    request: RightsRequest
    subject: Subject
    agent: dict[str, Any] | None
    badge: Badge
    events: list[AuditEvent]
    messages: list[Message]
    tasks: list[TaskView]
    exports: list[Export]
    preview: dict[tuple[str, str], int] | None = None
    preview_error: str | None = None
    notes: list[str] = field(default_factory=list)


def build(request: RightsRequest, *, today: date | None = None) -> RequestPage:
    ring = keyring()
    tenant_id = request.tenant_id
    events = db.session.execute(
        for_tenant(AuditEvent, tenant_id).where(AuditEvent.request_id == request.id).order_by(AuditEvent.id)
    ).scalars().all()
    messages = db.session.execute(
        for_tenant(OutboxMessage, tenant_id).where(OutboxMessage.request_id == request.id)
        .order_by(OutboxMessage.id)
    ).scalars().all()
    tasks = db.session.execute(
        for_tenant(Task, tenant_id).where(Task.request_id == request.id).order_by(Task.id)
    ).scalars().all()
    exports = db.session.execute(
        for_tenant(Export, tenant_id).where(Export.request_id == request.id, Export.deleted_at.is_(None))
        .order_by(Export.id.desc())
    ).scalars().all()
    agent = json.loads(ring.decrypt_text(request.agent_enc)) if request.agent_enc else None
    page = RequestPage(
        request=request, subject=subject_of(request), agent=agent,
        badge=badge(request, today or utcnow().date()), events=list(events),
        messages=[Message(m, ring.decrypt_text(m.to_enc)) for m in messages],
        tasks=[TaskView(t, ring.decrypt_text(t.details_enc)) for t in tasks], exports=list(exports))
    _add_preview(page)
    return page


def _add_preview(page: RequestPage) -> None:
    """Rows found per table for the subject, when fulfilment can look (never for closed requests)."""
    service = fulfilment_service()
    preview = getattr(service, "discovery_preview", None) if service else None
    if preview is None or page.request.status in ("completed", "denied", "withdrawn", "expired"):
        return
    from dsar.errors import DsarError

    try:
        page.preview = preview(page.request)
    except DsarError as exc:
        page.preview_error = exc.message


def open_tasks(request: RightsRequest) -> int:
    return db.session.execute(
        select(db.func.count()).select_from(Task)
        .where(Task.request_id == request.id, Task.done_at.is_(None))
    ).scalar_one()
