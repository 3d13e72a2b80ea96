"""Taking a request from the data subject, through the portal form or the public API (SPEC §4).

Intake never looks at the tenant's data: a known and an unknown address get the same
answer, the same message and the same work, so nobody learns from the portal whether the
organisation holds data about someone. Every request but an opt-out waits for the address
to be proved; an opt-out needs no proof and no staff step (SPEC §4): the address enters the
suppression list at submission and the request completes. A portal submission that carries
the browser's Global Privacy Control signal opts the address out in the same way.

Both edges (the WTForms form and the marshmallow schema) validate with the limits below;
``check`` validates once more, so the service trusts nothing it was not built for.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from dsar.crypto import email_identity, normalise_email  # noqa: F401  (the API's fields use intake.normalise_email)
from dsar.domain.regimes import REGIME_CODES
from dsar.domain.request_states import REQUEST_TYPES, missing_details
from dsar.errors import DsarError, ValidationError
from dsar.models import RightsRequest, Tenant, utcnow
from dsar.services import identifiers, lifecycle, suppressions, verification
from dsar.services.datamaps import tenant_datamap
from dsar.services.lifecycle import Subject, new_reference
from dsar.services.notifications import notify_subject, public_url

#: Longest accepted value of each field (the form, the API schema and ``check`` share them).
LIMITS = {"email": 320, "name": 200, "phone": 40, "customer_id": 100, "details": 5000, "identity": 200,
          "agent_name": 200, "agent_email": 320, "agent_relationship": 200}
OPT_OUT_REASON = "an opt-out needs no identity verification (SPEC §4)"
#: What an opt-out lists at once: the address it was sent with. A phone number typed beside it
#: is a hint like any other (SPEC §4): it stays on the request for staff, off the list.
OPT_OUT_KINDS = ("email",)


@dataclass(frozen=True)
class Agent:
    """Someone acting for the subject (CCPA authorised agent); the subject still proves the address."""

    name: str
    email: str
    relationship: str


@dataclass(frozen=True)
class Submission:
    type: str
    email: str
    name: str | None = None
    phone: str | None = None
    customer_id: str | None = None
    details: str | None = None
    regime: str | None = None
    agent: Agent | None = None
    #: Custom identity kinds of the tenant's data map (``identities:``), e.g. {"loyalty_id": "L-1"}.
    identities: tuple[tuple[str, str], ...] = ()


def check(submission: Submission) -> Submission:
    """The submission with e-mail addresses normalised and blanks as None; ValidationError
    naming the field otherwise."""
    if submission.type not in REQUEST_TYPES:
        raise ValidationError(f"type {submission.type!r} is unknown; choose one of {', '.join(REQUEST_TYPES)}",
                              details={"field": "type"})
    if submission.regime is not None and submission.regime not in REGIME_CODES:
        raise ValidationError(f"regime {submission.regime!r} is unknown; choose one of {', '.join(REGIME_CODES)}",
                              details={"field": "regime"})
    values = {name: _text(name, getattr(submission, name)) for name in ("name", "phone", "customer_id", "details")}
    if missing_details(submission.type, values["details"]):
        raise ValidationError("details: tell us what to correct", details={"field": "details"})
    agent = submission.agent
    if agent is not None:
        agent = Agent(name=_required("agent_name", agent.name), email=normalise_email(agent.email, "agent_email"),
                      relationship=_required("agent_relationship", agent.relationship))
    identities = tuple((kind, _custom(kind, value)) for kind, value in submission.identities if _custom(kind, value))
    return replace(submission, email=normalise_email(submission.email, "email"), agent=agent,
                   identities=identities, **values)


def _custom(kind: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > LIMITS["identity"]:
        raise ValidationError(f"{kind} is longer than {LIMITS['identity']} characters", details={"field": kind})
    return value or None


def check_identities(tenant: Tenant, identities) -> None:
    """ValidationError naming a kind the tenant's data map does not declare."""
    known = custom_identity_kinds(tenant)
    for kind, _ in identities:
        if kind not in known:
            choices = ", ".join(known) or "none: this data map declares no identities"
            raise ValidationError(f"{kind!r} is not an identity of this organisation's data map (known: {choices})",
                                  details={"field": kind})


def custom_identity_kinds(tenant: Tenant) -> dict[str, str]:
    """``{kind: label}`` of the identities the tenant's data map declares (``identities:``)."""
    try:
        datamap = tenant_datamap(tenant)
    except DsarError:
        return {}
    return {kind: identity.label for kind, identity in datamap.identities} if datamap else {}


def _text(field: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if len(value) > LIMITS[field]:
        raise ValidationError(f"{field} is longer than {LIMITS[field]} characters", details={"field": field})
    return value or None


def _required(field: str, value: str | None) -> str:
    value = _text(field, value)
    if not value:
        raise ValidationError(f"{field} is required for an authorised agent", details={"field": field})
    return value


def submit(tenant: Tenant, submission: Submission, *, channel: str = "portal", language: str = "en",
           requester_ip: str | None = None, gpc: bool = False) -> RightsRequest:
    """Record the request and queue its first message, in the caller's transaction.

    Every request but ``opt_out`` gets the verification message (link and code). An
    ``opt_out`` takes effect at once: its address enters the suppression list, the request
    completes and the subject is told. ``gpc`` on a portal submission of another type is
    honoured as an opt-out too: a second, completed ``opt_out`` request for the same address.
    """
    submission = check(submission)
    check_identities(tenant, submission.identities)
    request = _record(tenant, submission, channel, language, requester_ip, gpc)
    if submission.type == "opt_out":
        opt_out_at_once(request)
    else:
        send_verification(request, tenant)
        if gpc and channel == "portal":
            opt_out_at_once(_record(tenant, replace(submission, type="opt_out", details=None, identities=()),
                                    channel, language, requester_ip, gpc))
    return request


def _record(tenant: Tenant, submission: Submission, channel: str, language: str, requester_ip: str | None,
            gpc: bool) -> RightsRequest:
    request = lifecycle.create_request(
        tenant, type=submission.type, regime=submission.regime, channel=channel, language=language,
        subject=Subject(email=submission.email, name=submission.name, phone=submission.phone,
                        customer_id=submission.customer_id, details=submission.details),
        agent=submission.agent.__dict__ if submission.agent else None,
        requester_ip=requester_ip, gpc=gpc, actor="agent" if submission.agent else "subject")
    identifiers.record(request, {"phone": submission.phone, "customer_id": submission.customer_id,
                                 **dict(submission.identities)})
    request.acknowledged_at = utcnow()
    return request


def opt_out_at_once(request: RightsRequest) -> RightsRequest:
    """An opt-out without proof or staff (SPEC §4): verified by the system, its address on the
    suppression list, completed; the "completed" message tells the subject."""
    lifecycle.verify(request, "system:opt_out", reason=OPT_OUT_REASON)
    return suppressions.suppress(request, "system:opt_out", kinds=OPT_OUT_KINDS)


def send_verification(request: RightsRequest, tenant: Tenant) -> None:
    """Queue the message with a fresh link and code (earlier ones stop working)."""
    challenge = verification.issue_challenge(request, tenant)
    notify_subject(request, "verification", code=challenge.code, expires_at=challenge.expires_at,
                   verify_url=public_url("portal.verify_link", slug=tenant.slug, token=challenge.token),
                   confirm_url=public_url("portal.confirm", slug=tenant.slug, reference=request.reference))


def resend_status_link(tenant: Tenant, reference: str, email: str) -> None:
    """Send the status link again to the request's own address, when ``reference`` is one of
    ``tenant``'s requests made with ``email``; otherwise do nothing. The caller answers the
    same either way (SPEC §4), and the message only ever goes to the address on the request,
    within a minute (the ``send-mail`` job)."""
    found = lifecycle.find_request(reference, tenant_id=tenant.id)
    if found is None:
        return
    if email_identity(lifecycle.subject_of(found).email or "") == email_identity(normalise_email(email)):
        # Sent by the send-mail job, not in this request: a send would make the answer slower
        # for a matching reference and address than for any other.
        notify_subject(found, "status_link", send_after_commit=False)


def decoy_reference() -> str:
    """A reference for a submission that is dropped (a filled honeypot): looks like any other."""
    return new_reference()
