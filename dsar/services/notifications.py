"""Telling people what happened: the one way services send a message (SPEC §3, §4, §6).

``notify_subject(request, template, **context)`` writes to the request's data subject, in
the request's language; ``notify_staff(tenant, to_email, template, **context)`` writes to
a member of staff, in English. Both render ``templates/mail/<template>.{txt,html}`` and
put the message in the transactional outbox of the caller's transaction: it leaves once
the caller commits (see ``dsar.mail.outbox``).

Every subject message gets ``tenant_name``, ``reference``, ``kind`` (the request type's code),
``request_type`` (in words),
``name``, ``received_at``, ``due_date`` (the target date: what the tenant promised, as the
dashboard and the status page show it),
``contact_email``, ``portal_url`` and ``status_url`` (the secret link to the subject's
status page).
Templates and the further context each needs (``dsar.mail.messages``):

=================== ==================================================================
verification        verify_url, confirm_url, code, expires_at          (dsar.services.intake)
acknowledgement     —                                                   (after verification)
extended            new_date (optional: message, staff's words for the subject)
denied              — (optional: message)
paused              reason (what staff wait for, written for the subject)
completed           — (optional: message)
erasure_scheduled   erasure_at (the status link cancels)
erasure_done        result: {"erased": [{"what", "action", "kept_some"}], "retained": [{"what", "basis", "until"}]}
export_ready        download_url, expires_at (optional: max_downloads)
expired             —                                                   (expire-unverified)
status_link         —              (the portal's "find my request" page: the link again)
reminder (staff)    reference, days_left, due_date (optional: request_url)
overdue_digest      requests: [{"reference", "type", "due_date", "days_overdue"}] (optional: dashboard_url)
=================== ==================================================================
"""
from __future__ import annotations

import hmac
from typing import Any

from flask import current_app

from dsar.keyring import keyring
from dsar.mail import outbox
from dsar.mail.messages import STAFF_TEMPLATES, SUBJECT_TEMPLATES, render
from dsar.models import OutboxMessage, RightsRequest, Tenant
from dsar.services.subjects import subject_of, tenant_of
from dsar.translations.rights import REGIME_NAMES, RIGHTS_BY_TYPE

STATUS_TOKEN_CHARS = 32


def notify_subject(request: RightsRequest, template: str, *, send_after_commit: bool = True,
                   **context: Any) -> OutboxMessage | None:
    """Queue ``template`` for the request's subject; None when their address is erased.
    (``send_after_commit``: see ``outbox.queue``.)"""
    _check_context(template, SUBJECT_TEMPLATES, context)
    subject = subject_of(request)
    if not subject.email:
        return None
    tenant = tenant_of(request)
    common = {
        "tenant_name": tenant.name, "reference": request.reference, "name": subject.name, "kind": request.type,
        "request_type": RIGHTS_BY_TYPE[request.type].short, "regime": REGIME_NAMES.get(request.regime),
        "received_at": request.received_at.date(), "due_date": request.target_date or request.extended_to or request.due_date,
        "contact_email": tenant.contact_email or tenant.dpo_email, "status_url": status_url(request),
        "portal_url": public_url("portal.portal", slug=tenant.slug),
    }
    message = render(template, request.language, **{**common, **context})
    return outbox.queue(tenant.id, template, subject.email, message, request_id=request.id,
                        send_after_commit=send_after_commit)


def notify_staff(tenant: Tenant, to_email: str, template: str, **context: Any) -> OutboxMessage:
    """Queue ``template`` (in English) for a member of ``tenant``'s staff."""
    _check_context(template, STAFF_TEMPLATES, context)
    message = render(template, "en", tenant_name=tenant.name, **context)
    return outbox.queue(tenant.id, template, to_email, message, request_id=context.get("request_id"))


def _check_context(template: str, templates: dict[str, tuple[str, ...]], context: dict[str, Any]) -> None:
    if template not in templates:
        raise ValueError(f"{template!r} is not one of these messages: {', '.join(sorted(templates))}")
    missing = [key for key in templates[template] if key not in context]
    if missing:
        raise ValueError(f"message {template!r} needs {', '.join(missing)}")


def status_token(request: RightsRequest) -> str:
    """The secret that opens the subject's status page: a keyed hash of the reference.

    Derived rather than stored, so every message can carry the link; without the server's
    secret key nobody can compute it from a reference.
    """
    return keyring().lookup_hash(request.tenant_id, "status_link", request.reference)[:STATUS_TOKEN_CHARS]


def status_token_matches(request: RightsRequest, token: str | None) -> bool:
    return hmac.compare_digest(status_token(request).encode(), (token or "").encode("utf-8"))


def status_url(request: RightsRequest) -> str:
    return public_url("portal.status", reference=request.reference, t=status_token(request))


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute link under ``DSAR_BASE_URL``, buildable from jobs as well as requests."""
    base = current_app.config["DSAR_BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)
