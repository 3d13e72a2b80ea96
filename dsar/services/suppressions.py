"""The tenant's suppression list (SPEC §6): who asked to stop, as keyed hashes only.

A restriction, objection, withdrawal of consent or opt-out puts the subject's e-mail and
phone on the list, each as ``keyring().lookup_hash(tenant, kind, value)``: the tenant's own
systems can ask "is this address suppressed, and why?" through the API, while the list
itself holds no address. Hashes are per tenant, so one tenant's list says nothing about
another's subjects.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from dsar.errors import Conflict
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import RightsRequest, Suppression, for_tenant
from dsar.services import audit, lifecycle
from dsar.services.notifications import notify_subject

#: Request types that put the subject on the list; the type is the entry's reason.
SUPPRESSING_TYPES = ("restriction", "objection", "withdraw_consent", "opt_out")
#: Identifiers that are listed, as (identity kind, Subject attribute).
LISTED_KINDS = ("email", "phone")


@dataclass(frozen=True)
class SuppressionStatus:
    suppressed: bool
    reasons: list[str]
    since: datetime | None  # when the identifier was first listed


def suppress(request: RightsRequest, actor: str, *, kinds: tuple[str, ...] = LISTED_KINDS) -> RightsRequest:
    """List the subject's identifiers of ``kinds`` (e-mail and phone) with the request type as
    reason; complete the request.

    Idempotent: an identifier already listed for this reason is not listed twice.
    """
    subject = lifecycle.subject_of(request)
    values = {kind: getattr(subject, kind) for kind in kinds if getattr(subject, kind)}
    if not values:
        raise Conflict("the request has no e-mail or phone to put on the suppression list; "
                       "record one with the request first", details={"field": "subject"})
    ring = keyring()
    for kind, value in values.items():
        digest = ring.lookup_hash(request.tenant_id, kind, value)
        listed = db.session.execute(for_tenant(Suppression, request.tenant_id).where(
            Suppression.identifier_hash == digest, Suppression.reason == request.type)).first()
        if listed is None:
            db.session.add(Suppression(tenant_id=request.tenant_id, identifier_hash=digest, kind=kind,
                                       reason=request.type, request_id=request.id))
    audit.record(request.tenant_id, "suppressed", actor, request=request,
                 payload={"kinds": sorted(values), "reason": request.type})
    lifecycle.complete(request, actor, outcome="complied",
                       result={"suppression": {"kinds": sorted(values), "reason": request.type}})
    notify_subject(request, "completed")
    return request


def check(tenant_id: int, *, email: str | None = None, phone: str | None = None) -> SuppressionStatus:
    """Whether any of the given identifiers is on ``tenant_id``'s list, why, and since when."""
    ring = keyring()
    digests = [ring.lookup_hash(tenant_id, kind, value)
               for kind, value in (("email", email), ("phone", phone)) if value]
    rows = db.session.execute(
        sa.select(Suppression.reason, sa.func.min(Suppression.created_at))
        .where(Suppression.tenant_id == tenant_id, Suppression.identifier_hash.in_(digests))
        .group_by(Suppression.reason)).all()
    return SuppressionStatus(suppressed=bool(rows), reasons=sorted(reason for reason, _ in rows),
                             since=min((since for _, since in rows), default=None))
