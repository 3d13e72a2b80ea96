"""What a request's page shows, gathered from the tenant's rows in one place.

The subject's identifiers are decrypted here for staff eyes only; nothing of it goes to
logs or the audit trail.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dsar.dashboard.deadline_badges import Badge, badge
from dsar.domain.request_states import CLOSED_STATES
from dsar.errors import DsarError
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import AuditEvent, Export, OutboxMessage, RightsRequest, Task, for_tenant, utcnow
from dsar.services import evidence, fulfilment, identifiers
from dsar.services.intake import custom_identity_kinds
from dsar.services.lifecycle import Subject, subject_of, tenant_of


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
    identifiers: list[identifiers.Identifier] = field(default_factory=list)
    identity_labels: dict[str, str] = field(default_factory=dict)
    outcome: list[dict] = field(default_factory=list)
    failure: dict | None = None
    #: The same subject's other requests (same e-mail address, found by its keyed hash), newest first.
    others: list[RightsRequest] = field(default_factory=list)

    @property
    def hints(self) -> list[identifiers.Identifier]:
        return [i for i in self.identifiers if not i.proven]


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
        tasks=[TaskView(t, ring.decrypt_text(t.details_enc)) for t in tasks], exports=list(exports),
        outcome=[{**t, "words": outcome_words(t)} for t in evidence.outcome_tables(request)],
        failure=evidence.last_failure(request), others=other_requests(request))
    if request.identifiers_erased_at is None:
        page.identifiers = identifiers.listed(request)
        page.identity_labels = {"phone": "Phone", "customer_id": "Customer number",
                                **custom_identity_kinds(tenant_of(request))}
    _add_preview(page)
    return page


def other_requests(request: RightsRequest, limit: int = 20) -> list[RightsRequest]:
    """The subject's other requests to this tenant: those from the same e-mail address."""
    if request.subject_email_hash is None:
        return []
    return list(db.session.execute(
        for_tenant(RightsRequest, request.tenant_id)
        .where(RightsRequest.subject_email_hash == request.subject_email_hash, RightsRequest.id != request.id)
        .order_by(RightsRequest.received_at.desc(), RightsRequest.id.desc()).limit(limit)).scalars())


def outcome_words(table: dict) -> str:
    """One table's outcome in words: exported, deleted, anonymized (columns), retained, kept."""
    parts = []
    if table["exported"]:
        parts.append(f"{table['exported']} row(s) exported")
    if table["deleted"]:
        parts.append(f"{table['deleted']} row(s) deleted")
    if table["anonymized"]:
        columns = ", ".join(table["anonymized_columns"])
        parts.append(f"{table['anonymized']} row(s) anonymized" + (f" ({columns})" if columns else ""))
    retained = table["retained"]
    if retained and retained["rows"]:
        until = f" until {retained['until']}" if retained.get("until") else ""
        parts.append(f"{retained['rows']} row(s) kept{until} — {retained['basis']}")
    parts += [f"{kept['rows']} row(s) kept because {kept['why']}" for kept in table["kept"]]
    return "; ".join(parts) or "nothing of the subject found"


def _add_preview(page: RequestPage) -> None:
    """Rows found per table for the subject, counted in the tenant's own databases (open
    requests only: a closed one may have been erased, and its subject is no longer looked for)."""
    if page.request.status in CLOSED_STATES or page.request.identifiers_erased_at is not None:
        return
    try:
        page.preview = fulfilment.discovery_preview(page.request)
    except DsarError as exc:  # no data map yet, a source down, nothing to search by
        page.preview_error = exc.message
