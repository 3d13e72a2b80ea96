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
class ChainBreak:
    tenant_id: int | None
    event_id: int
    problem: str


def verify_chain() -> tuple[int, list[ChainBreak]]:
    """Check every tenant's chain; return the number of events checked and the first
    broken link of each chain that has one."""
    checked, breaks = 0, []
    tenant_ids = db.session.execute(select(AuditEvent.tenant_id).distinct()).scalars().all()
    for tenant_id in tenant_ids:
        condition = AuditEvent.tenant_id.is_(None) if tenant_id is None else AuditEvent.tenant_id == tenant_id
        prev = GENESIS
        rows = db.session.execute(select(AuditEvent).where(condition).order_by(AuditEvent.id)).scalars()
        for event in rows:
            checked += 1
            if event.prev_hash != prev:
                breaks.append(ChainBreak(tenant_id, event.id, "an earlier event was deleted or reordered"))
                break
            if event_hash(event, prev) != event.hash:
                breaks.append(ChainBreak(tenant_id, event.id, "this event was edited after it was written"))
                break
            prev = event.hash
    return checked, breaks
