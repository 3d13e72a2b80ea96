"""Staff accounts and API tokens (SPEC §8 `dsar users create`, `dsar tokens create`)."""
from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from zxcvbn import zxcvbn

from dsar import crypto
from dsar.errors import NotFound, ValidationError
from dsar.extensions import db
from dsar.models import ROLES, ApiToken, Membership, Tenant, User, for_tenant, utcnow
from dsar.services import audit

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
    (``dsar.services.staff_accounts.invite``), so the person consents."""
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


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(tenant: Tenant, name: str, *, actor: str = "cli") -> IssuedToken:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("token name must be 1 to 100 characters", details={"field": "name"})
    secret = "dsar_" + crypto.new_token(32)
    token = ApiToken(tenant_id=tenant.id, name=name, token_hash=crypto.token_hash(secret), prefix=secret[:12])
    db.session.add(token)
    db.session.flush()
    audit.record(tenant.id, "token_created", actor, payload={"token_id": token.id, "name": name})
    return IssuedToken(token, secret)


def revoke_token(tenant: Tenant, token_id: int, *, actor: str = "cli") -> ApiToken:
    token = db.session.execute(for_tenant(ApiToken, tenant.id).where(ApiToken.id == token_id)).scalar_one_or_none()
    if token is None:
        raise NotFound(f"no token {token_id} in {tenant.slug}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(tenant.id, "token_revoked", actor, payload={"token_id": token.id})
    return token


def tenant_for_token(secret: str) -> tuple[Tenant, ApiToken] | None:
    """The tenant a bearer token belongs to, or None for an unknown or revoked token."""
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == crypto.token_hash(secret), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if token is None:
        return None
    token.last_used_at = utcnow()
    return db.session.get(Tenant, token.tenant_id), token
