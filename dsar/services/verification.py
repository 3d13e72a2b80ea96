"""Proving control of the e-mail address, and more where the tenant asks (SPEC §4).

One message carries a link (a 256-bit token) and a six-digit code; either proves the
address. Both are stored only as hashes — the code as a keyed hash bound to its challenge,
so a copy of the database does not let anyone try the million codes offline. A challenge
is single use, expires after ``verification_hours`` and dies after
``verification_max_attempts`` wrong codes. Comparisons are constant-time.

Stronger verification, per request type (tenant setting ``strong_verification``, e.g.
``{"access": {"data_points": 2, "declaration": true}}``): after the code, the subject must
match N data points against the tenant's own records (found through the data map), and
sign a declaration where the tenant wants one (CCPA "reasonably high degree of
certainty"). Wrong data points count as wrong attempts, so they cannot be guessed either.

Also the ``expire-unverified`` job: requests never verified within
``unverified_expiry_days`` are closed as ``expired`` and the address is told.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select, update

from dsar import crypto
from dsar.datamap.sources import NO_MATCH, coerce, column, connect
from dsar.errors import ValidationError
from dsar.extensions import db
from dsar.fulfilment.discovery import participating, subject_rows
from dsar.jobs.registry import JobContext, job
from dsar.jobs.runner import for_each_tenant
from dsar.keyring import keyring
from dsar.models import RightsRequest, Tenant, VerificationChallenge, utcnow
from dsar.services import identifiers, lifecycle
from dsar.services.checkpoint import checkpoint
from dsar.services.datamaps import tenant_datamap
from dsar.services.lifecycle import Subject
from dsar.services.notifications import notify_subject

log = logging.getLogger(__name__)

CODE_DIGITS = 6
EXPIRY_BATCH = 200


class VerificationFailed(ValidationError):
    """The link or code cannot be used: unknown, used, expired, or out of attempts."""

    code = "verification_failed"


class WrongCode(ValidationError):
    """A wrong code (or wrong data points) on a live challenge; ``attempts_left`` in details."""

    code = "wrong_code"


class MoreProofNeeded(ValidationError):
    """The code is right, but this request type also needs data points or a declaration."""

    code = "more_proof_needed"


@dataclass(frozen=True)
class Challenge:
    """What goes into the verification message (the only time token and code exist in clear)."""

    token: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Requirements:
    """What a request type needs beyond the e-mail proof (tenant setting ``strong_verification``)."""

    data_points: int = 0
    declaration: bool = False

    @property
    def strong(self) -> bool:
        return self.data_points > 0 or self.declaration


def requirements(tenant: Tenant, request_type: str) -> Requirements:
    rule = (tenant.setting("strong_verification") or {}).get(request_type) or {}
    return Requirements(data_points=int(rule.get("data_points", 0) or 0),
                        declaration=bool(rule.get("declaration", False)))


# --- issuing --------------------------------------------------------------------------------


def issue_challenge(request: RightsRequest, tenant: Tenant, *, now: datetime | None = None) -> Challenge:
    """A fresh link and code for ``request``; earlier unused challenges stop working."""
    now = now or utcnow()
    for earlier in request.challenges:
        if earlier.used_at is None:
            earlier.used_at = now
    token = crypto.new_token()
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    token_hash = crypto.token_hash(token)
    expires_at = now + timedelta(hours=tenant.setting("verification_hours"))
    request.challenges.append(VerificationChallenge(
        token_hash=token_hash, code_hash=_code_hash(request.tenant_id, token_hash, code),
        expires_at=expires_at, attempts=0, created_at=now))
    db.session.flush()
    return Challenge(token=token, code=code, expires_at=expires_at)


def _code_hash(tenant_id: int, token_hash: str, code: str) -> str:
    return keyring().lookup_hash(tenant_id, "verification_code", f"{token_hash}:{code}")


# --- finding a challenge --------------------------------------------------------------------


def challenge_for_token(token: str, *, now: datetime | None = None) -> VerificationChallenge | None:
    """The live challenge a link's token opens, or None (unknown, used, expired, dead)."""
    if not token or len(token) > 200:
        return None
    challenge = db.session.execute(select(VerificationChallenge).where(
        VerificationChallenge.token_hash == crypto.token_hash(token))).scalar_one_or_none()
    return challenge if challenge is not None and _live(challenge, now or utcnow()) else None


def latest_challenge(request: RightsRequest) -> VerificationChallenge | None:
    return max(request.challenges, key=lambda c: (c.created_at, c.id), default=None)


def _live(challenge: VerificationChallenge, now: datetime) -> bool:
    tenant = db.session.get(Tenant, challenge.request.tenant_id)
    return (challenge.used_at is None and challenge.expires_at > now
            and challenge.attempts < tenant.setting("verification_max_attempts")
            and challenge.request.status == "unverified")


def _failed() -> VerificationFailed:
    return VerificationFailed(
        "This link or code is not valid any more: it was used, it expired, or too many wrong "
        "codes were tried. Send your request again to get a new message.", details={"field": "code"})


# --- verifying ------------------------------------------------------------------------------


def verify_with_token(token: str, *, answers: Mapping[str, str] | None = None, declaration: bool = False,
                      now: datetime | None = None) -> RightsRequest:
    """The subject followed the link (and confirmed on the page): the token proves the address."""
    now = now or utcnow()
    challenge = challenge_for_token(token, now=now)
    if challenge is None:
        raise _failed()
    return _complete(challenge, "the link in the verification message", answers, declaration, now)


def verify_with_code(request: RightsRequest | None, code: str, *, answers: Mapping[str, str] | None = None,
                     declaration: bool = False, now: datetime | None = None) -> RightsRequest:
    """The subject typed the six-digit code from the message.

    A wrong code costs an attempt — recorded (committed) even though this call then fails,
    so retrying cannot reset the count.
    """
    now = now or utcnow()
    challenge = latest_challenge(request) if request is not None else None
    if challenge is None or not _live(challenge, now):
        raise _failed()
    given = _code_hash(request.tenant_id, challenge.token_hash, normalise_code(code))
    if not hmac.compare_digest(given, challenge.code_hash):
        _count_wrong(challenge, "the code is not right")
    return _complete(challenge, "the code in the verification message", answers, declaration, now)


def normalise_code(code: str) -> str:
    """Spaces and dashes people type between digits do not matter."""
    return "".join(ch for ch in (code or "") if ch not in " -\u00a0")[:20]


def _count_wrong(challenge: VerificationChallenge, what: str, field: str = "code"):
    # One conditional UPDATE: concurrent wrong codes each count (no lost update), and none
    # counts past the limit; a wrong code that finds the attempts used up is refused as such.
    maximum, challenge_id, reference = _max_attempts(challenge), challenge.id, challenge.request.reference
    counted = db.session.execute(
        update(VerificationChallenge)
        .where(VerificationChallenge.id == challenge_id, VerificationChallenge.attempts < maximum)
        .values(attempts=VerificationChallenge.attempts + 1)
        .returning(VerificationChallenge.attempts)
    ).scalar_one_or_none()
    checkpoint("failure kept")  # the attempt is used even though this call fails
    if counted is None:
        raise _failed()
    attempts_left = max(maximum - counted, 0)
    log.info("wrong verification attempt on %s, %s left", reference, attempts_left)
    if attempts_left == 0:
        raise _failed()
    raise WrongCode(f"{what.capitalize()}. You have {attempts_left} more attempt(s).",
                    details={"field": field, "attempts_left": attempts_left})


def _max_attempts(challenge: VerificationChallenge) -> int:
    return db.session.get(Tenant, challenge.request.tenant_id).setting("verification_max_attempts")


def _complete(challenge: VerificationChallenge, method: str, answers: Mapping[str, str] | None,
              declaration: bool, now: datetime) -> RightsRequest:
    request = challenge.request
    tenant = db.session.get(Tenant, request.tenant_id)
    needs = requirements(tenant, request.type)
    proof = [method]
    if needs.strong:
        proof += _strong_proof(challenge, tenant, needs, answers or {}, declaration)
    challenge.used_at = now
    lifecycle.verify(request, "subject", reason="proved by " + ", ".join(proof))

    notify_subject(request, "acknowledgement")
    return request


def _strong_proof(challenge: VerificationChallenge, tenant: Tenant, needs: Requirements,
                  answers: Mapping[str, str], declaration: bool) -> list[str]:
    answers = {kind: str(value).strip() for kind, value in answers.items() if value and str(value).strip()}
    if needs.declaration and not declaration:
        raise MoreProofNeeded("Please confirm the declaration that you are the person this request is about.",
                              details={"field": "declaration", **_needs_details(tenant, needs)})
    proof = ["a signed declaration"] if needs.declaration else []
    if needs.data_points:
        if not answers:
            raise MoreProofNeeded(f"Please give {needs.data_points} details we can check against our records.",
                                  details={"field": "answers", **_needs_details(tenant, needs)})
        subject = lifecycle.subject_of(challenge.request)
        matched = matching_data_points(tenant, subject, answers)
        if len(matched) < needs.data_points:
            _count_wrong(challenge, "the details do not match our records", "answers")
        # What matched on the verified address's rows is proven: from now on it may find data.

        identifiers.prove_data_points(challenge.request, matched)
        proof.append(f"{len(matched)} matching data points")
    return proof


def _needs_details(tenant: Tenant, needs: Requirements) -> dict:
    return {"data_points": needs.data_points, "declaration": needs.declaration,
            "fields": data_point_kinds(tenant) if needs.data_points else []}


# --- data points ----------------------------------------------------------------------------


def data_point_kinds(tenant: Tenant) -> list[str]:
    """The identifiers (besides e-mail) the tenant's data map can check, e.g. phone."""
    datamap = tenant_datamap(tenant)
    if datamap is None:
        return []
    kinds = {kind for source in datamap.sources for table in source.tables for kind, _ in table.identity}
    return sorted(kinds - {"email"})


def match_data_points(tenant: Tenant, subject: Subject, answers: Mapping[str, str]) -> int:
    """How many of ``answers`` the tenant's own records confirm (see ``matching_data_points``)."""
    return len(matching_data_points(tenant, subject, answers))


def matching_data_points(tenant: Tenant, subject: Subject, answers: Mapping[str, str]) -> dict[str, str]:
    """The ``answers`` ({identity kind: value}) the tenant's own records confirm.

    A data point matches when a row the data map finds for the subject's e-mail holds that
    value in the column of that identity kind. Each kind counts once; e-mail itself never
    counts (it is what the code proved). Only called after the code was right, so it tells
    nothing to someone who does not control the address.
    """
    datamap = tenant_datamap(tenant)
    if datamap is None or not subject.email:
        return {}
    wanted = {kind: value for kind, value in answers.items() if kind != "email" and value}
    confirmed = _confirmed_kinds(datamap, subject.email, wanted) if wanted else set()
    return {kind: wanted[kind] for kind in sorted(confirmed)}


def _confirmed_kinds(datamap, email: str, wanted: Mapping[str, str]) -> set[str]:
    """Identity kinds of ``wanted`` whose value sits on one of ``email``'s rows: one
    ``SELECT 1 … LIMIT 1`` per (table, kind), found through discovery's subject selector."""
    confirmed: set[str] = set()
    for source in datamap.sources:
        with connect(source) as connection:
            rows = subject_rows(connection, source, {"email": email})
            for name in participating(source):
                for kind, column_name in source.table(name).identity:
                    if kind not in wanted or kind in confirmed:
                        continue
                    col = column(rows.tables[name], column_name, source)
                    value = coerce(col, wanted[kind])
                    if value is NO_MATCH:
                        continue
                    hit = connection.execute(sa.select(sa.literal(1)).select_from(rows.tables[name])
                                             .where(rows.where(name), col == value).limit(1)).first()
                    if hit is not None:
                        confirmed.add(kind)
    return confirmed


# --- expiry ---------------------------------------------------------------------------------


@job("expire-unverified")
def expire_unverified(ctx: JobContext) -> None:
    for_each_tenant(ctx, "expire-unverified", _expire_tenant)


def _expire_tenant(ctx: JobContext, tenant: Tenant) -> None:
    cutoff = ctx.now - timedelta(days=tenant.setting("unverified_expiry_days"))
    stale = (RightsRequest.tenant_id == tenant.id, RightsRequest.status == "unverified",
             RightsRequest.received_at < cutoff)
    if ctx.dry_run:
        ctx.count("expired", db.session.execute(
            select(func.count()).select_from(RightsRequest).where(*stale)).scalar_one())
        return
    _expire_in_batches(ctx, tenant, stale)


def _expire_in_batches(ctx: JobContext, tenant: Tenant, stale: tuple) -> None:
    done = 0
    while True:
        batch = db.session.execute(select(RightsRequest).where(*stale).order_by(RightsRequest.id)
                                   .limit(EXPIRY_BATCH)).scalars().all()
        if not batch:
            return
        for request in batch:
            lifecycle.expire(request)
            notify_subject(request, "expired")
        checkpoint("batch")  # short transactions; a crash resumes with what is left
        done += len(batch)
        ctx.count("expired", len(batch))
        ctx.progress(f"expired in {tenant.slug}", done, None)
