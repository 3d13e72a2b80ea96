"""API tokens a tenant's systems call the API with (SPEC §8 `dsar tokens create`): the secret is
shown once and stored as its hash only."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from dsar import crypto
from dsar.errors import NotFound, ValidationError
from dsar.extensions import db
from dsar.models import ApiToken, Tenant, for_tenant, utcnow
from dsar.services import audit


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
