"""A request's life: creation, deadlines and every staff or subject action (SPEC §3).

Views, the API, jobs and the CLI all change a request through these functions, so each
change is checked against the state table, recorded in the audit trail, and reflected in
the deadlines in exactly one way (:func:`refresh_deadlines`).

Actors are strings: ``subject``, ``user:<id>`` (dashboard), ``token:<id>`` (API),
``job:<name>``, ``cli``. Functions that read the clock take ``now`` (default: the current
UTC time) so a worked example can fix "today".
"""
from __future__ import annotations

import json
import secrets
from dataclasses import asdict
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from dsar.domain import deadlines as dl
from dsar.domain.regimes import POLICY, REGIME_CODES
from dsar.domain.request_states import (
    CHANNELS,
    OPEN_STATES,
    REQUEST_TYPES,
    TRANSITIONS,
    check_action,
    check_completion,
    next_state,
)
from dsar.errors import Conflict, ValidationError
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import AuditEvent, Membership, RightsRequest, Tenant, User, for_tenant, utcnow
from dsar.services import audit
from dsar.services.notifications import notify_subject
from dsar.services.subjects import Subject, subject_of, tenant_of  # noqa: F401  (callers use lifecycle.*)
from dsar.services.tenants import regime_for

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread
#: Channels staff enter requests from (SPEC §8 manual entry); portal/api are the subject's own.
MANUAL_CHANNELS = ("email", "post", "phone", "in_person")
#: How a request may end when it was fulfilled (CCPA §7102 counts both).
FULFILLED_OUTCOMES = ("complied", "complied_in_part")


def new_reference() -> str:
    """A short, unguessable, readable reference such as ``DSR-7K3F-9QXM``."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"DSR-{chars[:4]}-{chars[4:]}"


def normalise_reference(reference: str | None) -> str:
    """A reference as people type it (spaces around it, lower case) in the form it is stored."""
    return (reference or "").strip().upper()


def find_request(reference: str | None, *, tenant_id: int | None) -> RightsRequest | None:
    """The request with ``reference`` (normalised) of tenant ``tenant_id``, or None.

    The one lookup by reference: the dashboard, the API and the portal all use it.
    ``tenant_id=None`` looks across tenants — only where a secret proves the rest (the
    subject's code, the status link's token).
    """
    query = select(RightsRequest).where(RightsRequest.reference == normalise_reference(reference))
    if tenant_id is not None:
        query = query.where(RightsRequest.tenant_id == tenant_id)
    return db.session.execute(query).scalar_one_or_none()


# --- creation ------------------------------------------------------------------------------


def create_request(tenant: Tenant, *, type: str, subject: Subject, regime: str | None = None,
                   channel: str = "portal", received_at: datetime | None = None, language: str = "en",
                   agent: dict | None = None, requester_ip: str | None = None, gpc: bool = False,
                   actor: str = "subject") -> RightsRequest:
    """Record a new request in ``unverified`` with its deadlines; callers verify and notify.

    ``received_at`` (aware; default now) starts the clock and may not be in the future.
    """
    _check_choice("type", type, REQUEST_TYPES)
    _check_choice("regime", regime or tenant.regime, REGIME_CODES)
    _check_choice("channel", channel, CHANNELS)
    if (regime or tenant.regime) == POLICY and not tenant.policy_days:
        raise ValidationError("regime 'policy' needs the tenant's policy days, and this tenant has none",
                              details={"field": "regime"})
    if not any((subject.email, subject.name, subject.phone, subject.customer_id)):
        raise ValidationError("the subject needs an e-mail, a name, a phone or a customer id",
                              details={"field": "subject"})
    received_at = _utc(received_at or utcnow(), "received_at")
    if received_at > utcnow():
        raise ValidationError("received_at cannot be in the future", details={"field": "received_at"})
    ring = keyring()
    request = RightsRequest(
        tenant_id=tenant.id, reference=new_reference(), type=type, status="unverified",
        regime=regime or tenant.regime, channel=channel, language=language, received_at=received_at,
        subject_email_enc=ring.encrypt_text(subject.email),
        subject_email_hash=ring.lookup_hash(tenant.id, "email", subject.email) if subject.email else None,
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
                 payload={"type": type, "channel": channel, "regime": request.regime, "gpc": gpc,
                          "received_at": received_at.isoformat()})
    return request


def enter_request(tenant: Tenant, *, type: str, subject: Subject, channel: str, received_at: datetime,
                  actor: str, regime: str | None = None, verified: bool = False,
                  verification_reason: str | None = None) -> RightsRequest:
    """A request staff took by e-mail, post, phone or in person (SPEC §8 manual entry).

    It is recorded as received at ``received_at`` (the clock starts then) and starts
    ``unverified``, unless staff checked the identity already (``verified`` with a
    ``verification_reason``) or it is an ``opt_out``, which needs no verification (SPEC §4).
    """
    _check_choice("channel", channel, MANUAL_CHANNELS)
    if verified and not (verification_reason or "").strip():
        raise ValidationError("a manually verified request needs a verification_reason",
                              details={"field": "verification_reason"})
    request = create_request(tenant, type=type, subject=subject, regime=regime, channel=channel,
                             received_at=received_at, actor=actor)
    if verified:
        verify(request, actor, reason=verification_reason)
    elif type == "opt_out":
        verify(request, actor, reason="an opt-out needs no identity verification")
    return request


def _check_choice(field: str, value: str, choices) -> None:
    if value not in choices:
        raise ValidationError(f"{field} {value!r} is unknown; choose one of {', '.join(choices)}",
                              details={"field": field})


def _utc(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise ValidationError(f"{field} needs a time zone", details={"field": field})
    return moment.astimezone(timezone.utc)


# --- deadlines -------------------------------------------------------------------------------


def refresh_deadlines(request: RightsRequest, tenant: Tenant, *, extended: bool | None = None) -> None:
    """Recompute every date from receipt, pauses and extension (the single place that does).

    ``extended`` defaults to whether the request already has an extension. Under the
    ``policy`` regime the tenant's promise *is* the deadline (and its extension moves it),
    so there is no second, policy date.
    """
    if extended is None:
        extended = request.extended_to is not None
    result = dl.compute_deadlines(
        regime_for(tenant, request.regime), received_day(request), tenant.country,
        paused_days=request.paused_days or 0, extended=extended,
        policy_days=None if request.regime == POLICY else tenant.policy_days)
    request.due_date, request.extended_to = result.due_date, result.extended_to
    request.policy_date, request.target_date = result.policy_date, result.target_date
    request.acknowledge_by = result.acknowledge_by


def received_day(request: RightsRequest) -> date:
    """Day one of the clock: the UTC date of receipt."""
    return request.received_at.astimezone(timezone.utc).date()


def legal_deadline(request: RightsRequest) -> date:
    """The legal deadline in force: the extended one if any, else the original."""
    return request.extended_to or request.due_date


def days_left(request: RightsRequest, today: date) -> int | None:
    """Days until the target date (0 on the day, negative when overdue); None once closed.

    While paused the count stands still at what it was when the clock stopped.
    """
    if request.status not in OPEN_STATES:
        return None
    if request.status == "paused" and request.paused_at is not None:
        today = min(today, request.paused_at.astimezone(timezone.utc).date())
    return dl.days_left(request.target_date, today)


def erasure_execution_at(request: RightsRequest, tenant: Tenant, now: datetime) -> datetime:
    """When an erasure scheduled at ``now`` runs: after the tenant's grace period, but never
    after the legal deadline in force (SPEC §3) — then at the start of the deadline's day,
    or at once if that day has come."""
    now = _utc(now, "now")
    grace_end = now + timedelta(days=tenant.grace_days)
    day = dl.erasure_execution_date(now.date(), tenant.grace_days, legal_deadline(request))
    if day < grace_end.date():
        return max(now, datetime.combine(day, time.min, tzinfo=timezone.utc))
    return grace_end


def timeline(request: RightsRequest) -> list[AuditEvent]:
    """The request's audit events, oldest first."""
    return list(db.session.execute(
        for_tenant(AuditEvent, request.tenant_id).where(AuditEvent.request_id == request.id)
        .order_by(AuditEvent.id)).scalars())


# --- the subject ----------------------------------------------------------------------------


def _tell_subject(request: RightsRequest, template: str, **context) -> bool:
    """Queue a message to the subject; False when there is no address to write to (a request
    taken by post or phone: staff answer through that channel)."""
    if not request.subject_email_enc:
        return False
    return notify_subject(request, template, **context) is not None


# --- actions -----------------------------------------------------------------------------------


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


def verify(request: RightsRequest, actor: str, *, reason: str | None = None) -> RightsRequest:
    """Identity proven: by the subject's own code (actor ``subject``), or by anyone else —
    staff, a token, a job — only with a recorded reason."""
    if actor != "subject" and not (reason or "").strip():
        raise ValidationError("manual verification needs a recorded reason", details={"field": "reason"})
    act(request, "verify", actor, reason=reason)
    request.verified_at = utcnow()
    return request


def approve(request: RightsRequest, actor: str) -> RightsRequest:
    return act(request, "approve", actor)


def deny(request: RightsRequest, actor: str, reason: str, *, message: str | None = None) -> RightsRequest:
    """Refused: ``reason`` is recorded; the subject's letter carries ``message``, the words
    staff wrote for them (a reason written for the file stays internal)."""
    act(request, "deny", actor, reason=reason)
    request.denial_reason = reason.strip()
    _close(request, "denied")
    _tell_subject(request, "denied", message=_message(message))
    return request


def _message(text: str | None) -> str | None:
    """Staff's optional message to the subject: stripped, at most 5000 characters."""
    text = (text or "").strip()
    if len(text) > 5000:
        raise ValidationError("the message to the subject is longer than 5000 characters",
                              details={"field": "message"})
    return text or None


def pause(request: RightsRequest, actor: str, reason: str, *, now: datetime | None = None) -> RightsRequest:
    """Stop the clock while waiting for the subject (ID, clarification), where the regime
    allows it; the subject is told what is awaited."""
    dl.check_can_pause(regime_for(tenant_of(request), request.regime))
    act(request, "pause", actor, reason=reason)
    request.paused_at = now or utcnow()
    _tell_subject(request, "paused", reason=reason.strip())
    return request


def resume(request: RightsRequest, actor: str, *, reason: str | None = None,
           now: datetime | None = None) -> RightsRequest:
    """Restart the clock; the deadlines move by the whole days the request was paused."""
    paused = _paused_so_far(request, (now or utcnow()).date())
    act(request, "resume", actor, reason=reason, payload={"paused_days": paused})
    request.paused_days = (request.paused_days or 0) + paused
    request.paused_at = None
    refresh_deadlines(request, tenant_of(request))
    return request


def _paused_so_far(request: RightsRequest, today: date) -> int:
    if request.paused_at is None:
        return 0
    return max(0, (today - request.paused_at.astimezone(timezone.utc).date()).days)


def extend(request: RightsRequest, actor: str, reason: str, *, now: datetime | None = None,
           message: str | None = None) -> RightsRequest:
    """The one extension the regime allows (gdpr/uk_gdpr: to three months after receipt;
    ccpa: +45 days), granted only before the original deadline has passed — a pause in
    progress counts — and told to the subject (with ``message`` when staff wrote one for them;
    ``reason`` is recorded)."""
    check_action("extend", request.status)
    tenant = tenant_of(request)
    today = (now or utcnow()).date()
    dl.check_can_extend(regime_for(tenant, request.regime), received_day(request), today,
                        country=tenant.country, already_extended=request.extended_to is not None,
                        paused_days=(request.paused_days or 0) + _paused_so_far(request, today))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("a reason is required to extend", details={"field": "reason"})
    message = _message(message)
    refresh_deadlines(request, tenant, extended=True)
    told = _tell_subject(request, "extended", message=message, new_date=request.extended_to)
    audit.record(request.tenant_id, "extend", actor, request=request, reason=reason,
                 payload={"extended_to": request.extended_to.isoformat(), "subject_told": told})
    return request


def schedule_erasure(request: RightsRequest, actor: str, *, now: datetime | None = None) -> RightsRequest:
    """Start an erasure's cancellable grace period; it runs at :func:`erasure_execution_at`."""
    if request.type != "erasure":
        raise Conflict(f"only an erasure can be scheduled, not {request.type}",
                       details={"type": request.type, "action": "schedule_erasure"})
    now = now or utcnow()
    erasure_at = erasure_execution_at(request, tenant_of(request), now)
    act(request, "schedule_erasure", actor, payload={"erasure_at": erasure_at.isoformat()})
    request.erasure_at = erasure_at
    return request


def complete(request: RightsRequest, actor: str, *, outcome: str = "complied",
             result: dict | None = None, reason: str | None = None,
             message: str | None = None) -> RightsRequest:
    """Close a fulfilled request. A scheduled erasure closes so only with the record of its
    run (``result["erasure"]``), or in part with a recorded ``reason`` (SPEC §6). With
    ``message`` (staff's words for the subject) the subject gets the "completed" letter
    carrying it; ``reason`` stays internal."""
    _check_choice("outcome", outcome, FULFILLED_OUTCOMES)
    erasure_ran = bool(((result or {}).get("erasure") or {}).get("executed_at"))
    check_completion(request.status, outcome, erasure_ran=erasure_ran, reason=reason)
    message = _message(message)
    act(request, "complete", actor, reason=reason, payload={"outcome": outcome})
    _close(request, outcome)
    if result is not None:
        request.result = result
    if message:
        _tell_subject(request, "completed", message=message)
    return request


def withdraw(request: RightsRequest, actor: str, *, reason: str | None = None,
             action: str = "withdraw") -> RightsRequest:
    """Closed at the subject's wish (``withdraw``) or by staff for them (``cancel``, reason
    needed); a scheduled erasure is called off."""
    act(request, action, actor, reason=reason)
    _close(request, "withdrawn")
    return request


def cancel(request: RightsRequest, actor: str, reason: str) -> RightsRequest:
    return withdraw(request, actor, reason=reason, action="cancel")


def expire(request: RightsRequest, actor: str = "job:expire-unverified") -> RightsRequest:
    act(request, "expire", actor)
    _close(request, "expired")
    return request


def _close(request: RightsRequest, outcome: str) -> None:
    """What every ending shares: the outcome, the time, no clock or erasure left pending."""
    request.outcome, request.completed_at = outcome, utcnow()
    if request.paused_at is not None:
        request.paused_days = (request.paused_days or 0) + _paused_so_far(request, request.completed_at.date())
        request.paused_at = None
    request.erasure_at = None


def assign(request: RightsRequest, assignee: User | None, actor: str) -> RightsRequest:
    """Give the request to a staff member of its own tenant (None: unassign)."""
    if assignee is not None and not db.session.execute(
            select(Membership.id).where(Membership.user_id == assignee.id,
                                        Membership.tenant_id == request.tenant_id)).first():
        raise ValidationError("the assignee is not a staff member of this tenant", details={"field": "assignee"})
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
    reason = (reason or "").strip() or None
    if on and not reason:
        raise ValidationError("a legal hold needs a reason", details={"field": "reason"})
    request.legal_hold, request.legal_hold_reason = on, reason if on else None
    audit.record(request.tenant_id, "legal_hold_on" if on else "legal_hold_off", actor, request=request,
                 reason=reason)
    return request
