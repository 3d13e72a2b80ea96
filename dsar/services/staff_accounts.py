"""A staff member's account, apart from any tenant (SPEC §2): its password, how it is made,
invited, reset and recovered. (Memberships of one tenant: ``services.staff_members``; API
tokens: ``services.api_tokens``.)

* The platform operator creates an account with a role (``dsar users create``); passwords
  are hashed with argon2 and must be hard to guess (zxcvbn), not only long.
* A tenant's admin *invites* an address; the person accepts signed in to their account (or
  creates it from the link). The admin sees the same answer whether or not the address has
  an account anywhere, and never a name they did not type.
* A person resets their own password by e-mail (single-use link, one hour).
* The platform operator resets a lost second factor or lifts a lockout (``dsar users …``).

Every link and code is stored as its SHA-256 only. Services never commit (STYLE rule 13).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from zxcvbn import zxcvbn

from dsar import crypto
from dsar.errors import Conflict, NotFound, ValidationError
from dsar.extensions import db
from dsar.mail import outbox
from dsar.mail.messages import render
from dsar.models import (ROLES, Invitation, Membership, PasswordReset, RecoveryCode, Tenant, User, for_tenant,
                         utcnow)
from dsar.services import audit
from dsar.services.notifications import public_url

_hasher = PasswordHasher()
MIN_PASSWORD = 12
#: zxcvbn's scale runs 0 (guessed at once) to 4; 3 is "safely unguessable" offline at a slow hash.
MIN_STRENGTH = 3
#: zxcvbn's work grows with the length; nothing longer is a password anyone types.
MAX_PASSWORD = 200


def normalise_email(value: str, field: str = "email") -> str:
    """A member of staff's address as they sign in with it: checked, then in lower case."""
    return crypto.email_identity(crypto.normalise_email(value, field))


def hash_password(password: str, *, known: tuple[str, ...] = ()) -> str:
    """The argon2 hash of a password strong enough for staff; ValidationError otherwise.

    Length alone lets ``aaaaaaaaaaaa`` through, so zxcvbn also estimates how fast it would
    be guessed (dictionaries, keyboard walks, repeats, and ``known`` words such as the
    person's own name and address)."""
    check_password_strength(password, known=known)
    return _hasher.hash(password)


def check_password_strength(password: str, *, known: tuple[str, ...] = ()) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"password must have at least {MIN_PASSWORD} characters",
                              details={"field": "password"})
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"password must have at most {MAX_PASSWORD} characters", details={"field": "password"})
    estimate = zxcvbn(password, user_inputs=[word for word in known if word])
    if estimate["score"] < MIN_STRENGTH:
        hint = estimate["feedback"].get("warning") or "it would be guessed quickly"
        raise ValidationError(f"password is too easy to guess ({hint.rstrip('.').lower()}): use a longer "
                              "phrase of unrelated words", details={"field": "password"})


def password_matches(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(email: str, name: str, password: str, tenant: Tenant, role: str, *, actor: str = "cli") -> User:
    """Create a staff user with a role in one tenant, or add the role to an existing user.

    The platform operator's power (``dsar users create``): a tenant's admin invites instead
    (``invite`` below), so the person consents."""
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is unknown; choose one of {', '.join(ROLES)}",
                              details={"field": "role"})
    email = normalise_email(email)
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        user = User(email=email, name=name.strip() or email,
                    password_hash=hash_password(password, known=(email, name)))
        db.session.add(user)
        db.session.flush()
    elif any(m.tenant_id == tenant.id for m in user.memberships):
        raise ValidationError(f"{email} is already a member of {tenant.slug}", details={"field": "email"})
    db.session.add(Membership(user_id=user.id, tenant_id=tenant.id, role=role))
    audit.record(tenant.id, "staff_added", actor, payload={"user_id": user.id, "role": role})
    return user


INVITATION_VALID = timedelta(days=7)
RESET_VALID = timedelta(hours=1)


def user_by_email(email: str) -> User | None:
    return db.session.execute(select(User).where(User.email == crypto.email_identity(email))).scalar_one_or_none()


def end_every_session(user: User) -> None:
    """Every session of ``user``, on any device, is refused from its next request on."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_generation=User.session_generation + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(user, ["session_generation"])


# --- invitations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    url: str  # sent by mail only


def invite(tenant: Tenant, email: str, name: str, role: str, *, invited_by: User | None,
           now: datetime | None = None) -> IssuedInvitation:
    """Offer ``role`` in ``tenant`` to ``email``: a message with a link, the same message
    whether or not the address has an account (the tenant's outbox shows it)."""
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is unknown; choose one of {', '.join(ROLES)}",
                              details={"field": "role"})
    email, now = normalise_email(email), now or utcnow()
    existing = user_by_email(email)
    if existing is not None and any(m.tenant_id == tenant.id for m in existing.memberships):
        raise Conflict(f"{email} is already a member of {tenant.name}", details={"field": "email"})
    db.session.execute(update(Invitation).where(
        Invitation.tenant_id == tenant.id, Invitation.email == email, Invitation.accepted_at.is_(None),
        Invitation.withdrawn_at.is_(None)).values(withdrawn_at=now).execution_options(synchronize_session=False))
    secret = crypto.new_token(32)
    invitation = Invitation(tenant_id=tenant.id, email=email, name=name.strip()[:200] or email, role=role,
                            token_hash=crypto.token_hash(secret), invited_by_id=invited_by.id if invited_by else None,
                            created_at=now, expires_at=now + INVITATION_VALID)
    db.session.add(invitation)
    db.session.flush()

    url = public_url("auth.invitation", token=secret)
    message = render("invitation", "en", tenant_name=tenant.name, role=role, invitation_url=url,
                     expires_at=invitation.expires_at)
    outbox.queue(tenant.id, "invitation", email, message)
    audit.record(tenant.id, "staff_invited", _actor(invited_by), payload={"invitation_id": invitation.id,
                                                                           "role": role})
    return IssuedInvitation(invitation, url)


def pending_invitations(tenant_id: int) -> list[Invitation]:
    return list(db.session.execute(for_tenant(Invitation, tenant_id).where(
        Invitation.accepted_at.is_(None), Invitation.withdrawn_at.is_(None), Invitation.expires_at > utcnow())
        .order_by(Invitation.created_at.desc())).scalars())


def withdraw_invitation(tenant_id: int, invitation_id: int, *, actor: str,
                        now: datetime | None = None) -> Invitation:
    """An open invitation of this tenant stops working; another tenant's is not found."""
    invitation = db.session.execute(for_tenant(Invitation, tenant_id).where(
        Invitation.id == invitation_id, Invitation.accepted_at.is_(None),
        Invitation.withdrawn_at.is_(None))).scalar_one_or_none()
    if invitation is None:
        raise NotFound("no open invitation with that number in this organisation")
    invitation.withdrawn_at = now or utcnow()
    audit.record(tenant_id, "staff_invitation_withdrawn", actor, payload={"invitation_id": invitation.id})
    return invitation


def invitation_for_token(token: str, *, now: datetime | None = None) -> Invitation | None:
    """The open invitation a link carries, or None (unknown, accepted, withdrawn, expired)."""
    if not token or len(token) > 200:
        return None
    invitation = db.session.execute(select(Invitation).where(
        Invitation.token_hash == crypto.token_hash(token))).scalar_one_or_none()
    if invitation is None or invitation.accepted_at or invitation.withdrawn_at:
        return None
    return invitation if invitation.expires_at > (now or utcnow()) else None


def accept_invitation(invitation: Invitation, user: User, *, now: datetime | None = None) -> Membership:
    """``user`` (signed in) takes the role offered to their own address."""
    if user.email != invitation.email:
        raise NotFound("this invitation is for another address")
    if any(m.tenant_id == invitation.tenant_id for m in user.memberships):
        raise Conflict("you are already a member of this organisation")
    return _accept(invitation, user, now or utcnow())


def create_account(invitation: Invitation, name: str, password: str, *, now: datetime | None = None) -> User:
    """A first account, made from the invitation link (which proves the address)."""
    if user_by_email(invitation.email) is not None:
        raise Conflict("this address has an account already: sign in to accept", details={"field": "password"})
    name = name.strip() or invitation.name
    user = User(email=invitation.email, name=name[:200],
                password_hash=hash_password(password, known=(invitation.email, name)))
    db.session.add(user)
    db.session.flush()
    _accept(invitation, user, now or utcnow())
    return user


def _accept(invitation: Invitation, user: User, now: datetime) -> Membership:
    taken = db.session.execute(update(Invitation).where(
        Invitation.id == invitation.id, Invitation.accepted_at.is_(None), Invitation.withdrawn_at.is_(None))
        .values(accepted_at=now).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise NotFound("this invitation is not valid any more")
    membership = Membership(user_id=user.id, tenant_id=invitation.tenant_id, role=invitation.role)
    db.session.add(membership)
    db.session.flush()
    db.session.expire(user, ["memberships"])
    audit.record(invitation.tenant_id, "staff_added", f"user:{user.id}",
                 payload={"user_id": user.id, "role": invitation.role, "invitation_id": invitation.id})
    return membership


def _actor(user: User | None) -> str:
    return f"user:{user.id}" if user else "cli"


# --- password reset by e-mail ---------------------------------------------------------------


def request_password_reset(email: str, *, now: datetime | None = None) -> None:
    """Mail a reset link if ``email`` is an active account; the caller answers the same either way."""
    user = user_by_email(email)
    if user is None or not user.active:
        return
    now = now or utcnow()
    secret = crypto.new_token(32)
    db.session.add(PasswordReset(user_id=user.id, token_hash=crypto.token_hash(secret), created_at=now,
                                 expires_at=now + RESET_VALID))

    message = render("password_reset", "en", tenant_name="dsar", reset_url=public_url("auth.password_reset",
                                                                                   token=secret),
                     expires_at=now + RESET_VALID)
    outbox.queue(None, "password_reset", user.email, message)


def reset_for_token(token: str, *, now: datetime | None = None) -> PasswordReset | None:
    if not token or len(token) > 200:
        return None
    reset = db.session.execute(select(PasswordReset).where(
        PasswordReset.token_hash == crypto.token_hash(token))).scalar_one_or_none()
    if reset is None or reset.used_at is not None or reset.expires_at <= (now or utcnow()):
        return None
    user = db.session.get(User, reset.user_id)
    return reset if user is not None and user.active else None


def reset_password(reset: PasswordReset, password: str, *, now: datetime | None = None) -> User:
    """Set the new password (once per link), end every session, lift a lockout: the person
    just proved control of the address the account is registered to."""
    user = db.session.get(User, reset.user_id)
    password_hash = hash_password(password, known=(user.email, user.name))
    now = now or utcnow()
    used = db.session.execute(update(PasswordReset).where(
        PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if used != 1:  # a second tab or a replay got there first
        raise NotFound("this link was used already")
    db.session.execute(update(PasswordReset).where(  # older links die with this one
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    user.password_hash, user.failed_logins, user.locked_until = password_hash, 0, None
    end_every_session(user)
    return user


def change_password(user: User, current: str, new: str) -> User:
    """The signed-in person's own change; every session of theirs ends (this one too)."""

    if not password_matches(user, current):
        raise ValidationError("the current password is not right", details={"field": "current"})
    user.password_hash = hash_password(new, known=(user.email, user.name))
    end_every_session(user)
    return user


# --- the operator's commands ----------------------------------------------------------------


def _account(email: str) -> User:
    user = user_by_email(normalise_email(email))
    if user is None:
        raise NotFound(f"no staff account for {email.strip()}")
    return user


def operator_reset_two_factor(email: str) -> User:
    """Lost phone and no recovery code left: the person enrols again at next sign-in."""
    user = _account(email)
    user.totp_secret, user.totp_enabled = None, False
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_every_session(user)
    for membership in user.memberships:
        audit.record(membership.tenant_id, "staff_two_factor_reset", "operator", payload={"user_id": user.id})
    return user


def operator_unlock(email: str) -> User:
    user = _account(email)
    user.failed_logins, user.locked_until = 0, None
    for membership in user.memberships:
        audit.record(membership.tenant_id, "staff_unlocked", "operator", payload={"user_id": user.id})
    return user
