"""Which of a request's identifiers may reach the tenant's data (SPEC §4).

Only what is proven reaches data. The e-mail address is proven when the request is
verified (the code, the link, or staff with a recorded reason). Any other identifier —
phone, customer number, a custom identity of the data map — is a *hint* the requester
typed until it is proven: matched as a data point in stronger verification (on the rows
of the verified address), or confirmed by staff with a recorded reason. A hint is shown
to staff and never used to find anyone's rows: typing a stranger's customer number beside
one's own address must not return, or erase, the stranger's data.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dsar.errors import Conflict, ValidationError
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import RequestIdentifier, RightsRequest, for_tenant, utcnow
from dsar.services import audit
from dsar.services.lifecycle import subject_of

#: How an identifier was proven, in words for the request page.
PROOFS = {"verified": "the verified e-mail address", "data_point": "matched in stronger verification",
          "staff": "confirmed by staff"}
HINT = "a hint: not used to find data until confirmed"
MAX_VALUE = 200


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str
    proof: str | None  # None: a hint
    reason: str | None = None

    @property
    def proven(self) -> bool:
        return self.proof is not None

    @property
    def proof_words(self) -> str:
        return PROOFS.get(self.proof, self.proof) if self.proof else HINT


def record(request: RightsRequest, values: Mapping[str, str | None]) -> None:
    """Store the identifiers a requester gave beside the e-mail address, all as hints."""
    ring = keyring()
    for kind, value in values.items():
        value = (value or "").strip() if isinstance(value, str) else value
        if kind == "email" or not value:
            continue
        db.session.add(RequestIdentifier(tenant_id=request.tenant_id, request_id=request.id, kind=kind,
                                         value_enc=ring.encrypt_text(str(value))))
    db.session.flush()


def listed(request: RightsRequest) -> list[Identifier]:
    """Every identifier of the request with its proof: the e-mail address first."""
    ring = keyring()
    subject = subject_of(request)
    found: list[Identifier] = []
    if subject.email:
        found.append(Identifier("email", subject.email, "verified" if _email_proven(request) else None))
    rows = {row.kind: row for row in _rows(request)}
    for kind, row in rows.items():
        value = ring.decrypt_text(row.value_enc)
        if value:
            found.append(Identifier(kind, value, row.proof, row.reason))
    # Requests made before identifiers were recorded: their phone and customer number are hints.
    for kind in ("phone", "customer_id"):
        value = getattr(subject, kind)
        if value and kind not in rows:
            found.append(Identifier(kind, value, None))
    return found


def proven(request: RightsRequest) -> dict[str, str]:
    """``{kind: value}`` of the identifiers that may be used to find the subject's rows."""
    return {identifier.kind: identifier.value for identifier in listed(request) if identifier.proven}


def hints(request: RightsRequest) -> list[Identifier]:
    return [identifier for identifier in listed(request) if not identifier.proven]


def _email_proven(request: RightsRequest) -> bool:
    return request.verified_at is not None and request.status not in ("unverified", "expired")


def _rows(request: RightsRequest) -> list[RequestIdentifier]:
    return list(db.session.execute(for_tenant(RequestIdentifier, request.tenant_id)
                                   .where(RequestIdentifier.request_id == request.id)
                                   .order_by(RequestIdentifier.id)).scalars())


def prove_data_points(request: RightsRequest, matched: Mapping[str, str], actor: str = "subject") -> None:
    """Data points stronger verification matched on the verified address's rows become proven.

    The value proven is the one that matched (it replaces a different hint of that kind).
    """
    for kind, value in matched.items():
        _prove(request, kind, value, "data_point", actor, None)
    if matched:
        audit.record(request.tenant_id, "identifiers_proven", actor, request=request,
                     reason="matched in stronger verification", payload={"kinds": sorted(matched)})


def confirm(request: RightsRequest, kind: str, actor: str, reason: str) -> None:
    """Staff confirm a hint, saying how they know it is the subject's; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("say how you know this identifier is the subject's: the reason is recorded",
                              details={"field": "reason"})
    hint = next((i for i in listed(request) if i.kind == kind), None)
    if hint is None:
        raise ValidationError(f"the request has no identifier {kind!r}", details={"field": "kind"})
    if hint.proven:
        raise Conflict(f"the {kind.replace('_', ' ')} is already proven ({hint.proof_words})",
                       details={"field": "kind"})
    _prove(request, kind, hint.value, "staff", actor, reason)
    audit.record(request.tenant_id, "identifier_confirmed", actor, request=request, reason=reason,
                 payload={"kind": kind})


def _prove(request: RightsRequest, kind: str, value: str, proof: str, actor: str, reason: str | None) -> None:
    row = next((r for r in _rows(request) if r.kind == kind), None)
    if row is None:
        row = RequestIdentifier(tenant_id=request.tenant_id, request_id=request.id, kind=kind)
        db.session.add(row)
    row.value_enc = keyring().encrypt_text(str(value)[:MAX_VALUE])
    row.proof, row.proven_at, row.proven_by, row.reason = proof, utcnow(), actor, reason
    db.session.flush()
