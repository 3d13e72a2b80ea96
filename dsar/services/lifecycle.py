"""A request's life: creation, deadlines and every staff or subject action (SPEC §3).

Views, the API, jobs and the CLI all change a request through these functions, so each
change is checked against the state table, recorded in the audit trail, and reflected in
the deadlines in exactly one way.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime

from dsar.domain import deadlines as dl
from dsar.domain.request_states import CHANNELS, REQUEST_TYPES, TRANSITIONS, next_state
from dsar.domain.regimes import REGIME_CODES
from dsar.errors import ValidationError
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import RightsRequest, Tenant, User, utcnow
from dsar.services import audit
from dsar.services.tenants import regime_for

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread


def new_reference() -> str:
    """A short, unguessable, readable reference such as ``DSR-7K3F-9QXM``."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"DSR-{chars[:4]}-{chars[4:]}"


@dataclass(frozen=True)
class Subject:
    """Who the request is about, as given; stored encrypted, looked up by keyed hash."""

    email: str
    name: str | None = None
    phone: str | None = None
    customer_id: str | None = None
    details: str | None = None


def create_request(tenant: Tenant, *, type: str, subject: Subject, regime: str | None = None,
                   channel: str = "portal", received_at: datetime | None = None, language: str = "en",
                   agent: dict | None = None, requester_ip: str | None = None, gpc: bool = False,
                   actor: str = "subject") -> RightsRequest:
    """Record a new request in ``unverified`` with its deadlines; callers verify and notify."""
    _check_choice("type", type, REQUEST_TYPES)
    _check_choice("regime", regime or tenant.regime, REGIME_CODES)
    _check_choice("channel", channel, CHANNELS)
    received_at = received_at or utcnow()
    if received_at > utcnow():
        raise ValidationError("received_at cannot be in the future", details={"field": "received_at"})
    ring = keyring()
    request = RightsRequest(
        tenant_id=tenant.id, reference=new_reference(), type=type, status="unverified",
        regime=regime or tenant.regime, channel=channel, language=language, received_at=received_at,
        subject_email_enc=ring.encrypt_text(subject.email),
        subject_email_hash=ring.lookup_hash(tenant.id, "email", subject.email),
        subject_name_enc=ring.encrypt_text(subject.name),
        subject_data_enc=ring.encrypt_text(json.dumps(
            {k: v for k, v in asdict(subject).items() if v and k not in ("email", "name")})),
        agent_enc=ring.encrypt_text(json.dumps(agent)) if agent else None,
        requester_ip=requester_ip, gpc=gpc, paused_days=0,
    )
    refresh_deadlines(request, tenant)
    db.session.add(request)
    db.session.flush()
    audit.record(tenant.id, "request_received", actor, request=request,
                 payload={"type": type, "channel": channel, "regime": request.regime, "gpc": gpc})
    return request


def _check_choice(field: str, value: str, choices) -> None:
    if value not in choices:
        raise ValidationError(f"{field} {value!r} is unknown; choose one of {', '.join(choices)}",
                              details={"field": field})


def refresh_deadlines(request: RightsRequest, tenant: Tenant) -> None:
    """Recompute every date from receipt, pauses and extension (the single place that does)."""
    result = dl.compute_deadlines(
        regime_for(tenant, request.regime), request.received_at.date(), tenant.country,
        paused_days=request.paused_days or 0, extended=request.extended_to is not None,
        policy_days=tenant.policy_days)
    request.due_date, request.extended_to = result.due_date, result.extended_to
    request.policy_date, request.target_date = result.policy_date, result.target_date
    request.acknowledge_by = result.acknowledge_by


def subject_of(request: RightsRequest) -> Subject:
    """Decrypt the subject's identifiers (None-safe after own-retention erased them)."""
    ring = keyring()
    extra = json.loads(ring.decrypt_text(request.subject_data_enc) or "{}")
    return Subject(email=ring.decrypt_text(request.subject_email_enc) or "",
                   name=ring.decrypt_text(request.subject_name_enc), **extra)


def act(request: RightsRequest, action: str, actor: str, *, reason: str | None = None,
        payload: dict | None = None) -> RightsRequest:
    """Move ``request`` through ``action`` (state table), recording who, when and why."""
    reason = (reason or "").strip() or None
    if TRANSITIONS[action].needs_reason and not reason:
        raise ValidationError(f"a reason is required to {action}", details={"field": "reason"})
    before = request.status
    request.status = next_state(action, before)
    audit.record(request.tenant_id, action, actor, request=request, reason=reason,
                 payload={"from": before, "to": request.status, **(payload or {})})
    return request


def tenant_of(request: RightsRequest) -> Tenant:
    return db.session.get(Tenant, request.tenant_id)


def verify(request: RightsRequest, actor: str, *, reason: str | None = None) -> RightsRequest:
    """Identity proven (by the subject's code, or manually by staff with a reason)."""
    if actor.startswith("user:") and not (reason or "").strip():
        raise ValidationError("manual verification needs a recorded reason", details={"field": "reason"})
    act(request, "verify", actor, reason=reason)
    request.verified_at = utcnow()
    return request


def approve(request: RightsRequest, actor: str) -> RightsRequest:
    return act(request, "approve", actor)


def deny(request: RightsRequest, actor: str, reason: str) -> RightsRequest:
    act(request, "deny", actor, reason=reason)
    request.denial_reason, request.outcome, request.completed_at = reason.strip(), "denied", utcnow()
    return request


def pause(request: RightsRequest, actor: str, reason: str) -> RightsRequest:
    dl.check_can_pause(regime_for(tenant_of(request), request.regime))
    act(request, "pause", actor, reason=reason)
    request.paused_at = utcnow()
    return request


def resume(request: RightsRequest, actor: str, *, reason: str | None = None) -> RightsRequest:
    """Restart the clock; the deadline moves by the whole days the request was paused."""
    paused = (utcnow().date() - request.paused_at.date()).days if request.paused_at else 0
    act(request, "resume", actor, reason=reason, payload={"paused_days": paused})
    request.paused_days = (request.paused_days or 0) + paused
    request.paused_at = None
    refresh_deadlines(request, tenant_of(request))
    return request


def extend(request: RightsRequest, actor: str, reason: str) -> RightsRequest:
    """The one extension the regime allows, with the reasons recorded (and told to the subject)."""
    tenant = tenant_of(request)
    regime = regime_for(tenant, request.regime)
    dl.check_can_extend(regime, request.received_at.date(), utcnow().date(), country=tenant.country,
                        already_extended=request.extended_to is not None, paused_days=request.paused_days or 0)
    if not (reason or "").strip():
        raise ValidationError("a reason is required to extend", details={"field": "reason"})
    result = dl.compute_deadlines(regime, request.received_at.date(), tenant.country,
                                  paused_days=request.paused_days or 0, extended=True,
                                  policy_days=tenant.policy_days)
    request.extended_to = result.extended_to
    refresh_deadlines(request, tenant)
    audit.record(request.tenant_id, "extend", actor, request=request, reason=reason.strip(),
                 payload={"extended_to": request.extended_to.isoformat()})
    return request


def complete(request: RightsRequest, actor: str, *, outcome: str = "complied", result: dict | None = None) -> RightsRequest:
    act(request, "complete", actor, payload={"outcome": outcome})
    request.outcome, request.completed_at = outcome, utcnow()
    if result is not None:
        request.result = result
    return request


def withdraw(request: RightsRequest, actor: str, *, reason: str | None = None, action: str = "withdraw") -> RightsRequest:
    """Closed at the subject's wish (``withdraw``) or by staff for them (``cancel``, reason needed)."""
    act(request, action, actor, reason=reason)
    request.outcome, request.completed_at = "withdrawn", utcnow()
    return request


def expire(request: RightsRequest, actor: str = "job:expire-unverified") -> RightsRequest:
    act(request, "expire", actor)
    request.outcome, request.completed_at = "expired", utcnow()
    return request


def assign(request: RightsRequest, assignee: User | None, actor: str) -> RightsRequest:
    request.assignee_id = assignee.id if assignee else None
    audit.record(request.tenant_id, "assign", actor, request=request,
                 payload={"assignee_id": request.assignee_id})
    return request


def add_note(request: RightsRequest, actor: str, text: str) -> RightsRequest:
    if not (text or "").strip() or len(text) > 5000:
        raise ValidationError("a note must be 1 to 5000 characters", details={"field": "note"})
    audit.record(request.tenant_id, "note", actor, request=request, reason=text.strip())
    return request


def set_legal_hold(request: RightsRequest, actor: str, *, on: bool, reason: str | None = None) -> RightsRequest:
    """A legal hold blocks erasure with a visible reason until it is lifted."""
    if on and not (reason or "").strip():
        raise ValidationError("a legal hold needs a reason", details={"field": "reason"})
    request.legal_hold, request.legal_hold_reason = on, (reason or "").strip() or None if on else None
    audit.record(request.tenant_id, "legal_hold_on" if on else "legal_hold_off", actor, request=request,
                 reason=reason)
    return request
