"""The audit trail: append-only, hash-chained per tenant (SPEC §3; issue: audit trail).

Each event's hash covers its content and the previous event's hash, so an edit or a
deletion anywhere is detected by ``verify_chain`` at the first broken link.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dsar.extensions import db
from dsar.models import AuditEvent, RightsRequest, Tenant, utcnow

GENESIS = "0" * 64


def record(tenant_id: int | None, kind: str, actor: str, *, request: RightsRequest | None = None,
           reason: str | None = None, payload: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to the tenant's chain in the current transaction."""
    if tenant_id is not None:
        # Serialise writers of one tenant's chain (a row lock on PostgreSQL; SQLite
        # serialises writes anyway) so two events never claim the same predecessor.
        # NO KEY UPDATE, not UPDATE: inserting a row that references the tenant takes a
        # KEY SHARE lock on it, and upgrading that to UPDATE in two transactions deadlocks.
        db.session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True))
    prev = db.session.execute(
        select(AuditEvent.hash).where(AuditEvent.tenant_id.is_(tenant_id) if tenant_id is None
                                      else AuditEvent.tenant_id == tenant_id)
        .order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none() or GENESIS
    if request is not None and request.id is None:
        db.session.flush()
    event = AuditEvent(tenant_id=tenant_id, request_id=request.id if request else None, kind=kind,
                       actor=actor, at=utcnow(), reason=reason, payload=payload or {}, prev_hash=prev)
    event.hash = event_hash(event, prev)
    db.session.add(event)
    db.session.flush()
    return event


def event_hash(event: AuditEvent, prev_hash: str) -> str:
    content = {
        "tenant_id": event.tenant_id, "request_id": event.request_id, "kind": event.kind,
        "actor": event.actor, "at": event.at.isoformat(timespec="microseconds"),
        "reason": event.reason, "payload": event.payload, "prev": prev_hash,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    """The result of walking one tenant's chain: events checked, and the first broken link."""

    tenant_id: int | None
    checked: int
    broken_event_id: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_event_id is None


def verify_tenant_chain(tenant_id: int | None, batch: int = 1000) -> ChainCheck:
    """Walk one tenant's chain in id order, in batches; stop at the first broken link."""
    of_tenant = AuditEvent.tenant_id.is_(None) if tenant_id is None else AuditEvent.tenant_id == tenant_id
    prev, checked, after = GENESIS, 0, 0
    while True:
        events = db.session.execute(
            select(AuditEvent).where(of_tenant, AuditEvent.id > after).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not events:
            return ChainCheck(tenant_id, checked)
        for event in events:
            checked += 1
            if event.prev_hash != prev:
                return ChainCheck(tenant_id, checked, event.id, "an earlier event was deleted or reordered")
            if event_hash(event, prev) != event.hash:
                return ChainCheck(tenant_id, checked, event.id, "this event was edited after it was written")
            prev, after = event.hash, event.id


def verify_chain() -> list[ChainCheck]:
    """Check every tenant's chain (and the platform's own, tenant None)."""
    tenant_ids = db.session.execute(select(AuditEvent.tenant_id).distinct()).scalars().all()
    return [verify_tenant_chain(tenant_id) for tenant_id in tenant_ids]
