"""Bearer tokens per tenant (SPEC §8): ``g.tenant`` is the token's tenant, nothing else."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from dsar import crypto
from dsar.errors import DsarError
from dsar.extensions import limiter
from dsar.services.api_tokens import tenant_for_token

#: Per token: generous for a tenant's own systems, a ceiling for a leaked or looping one.
STAFF_API_LIMIT = "600 per minute"


def _staff_api_limit() -> str:
    return current_app.config.get("DSAR_STAFF_API_LIMIT", STAFF_API_LIMIT)


def _token_key() -> str:
    """Rate-limit key: the token's hash (never the token itself) or, without one, the address."""
    secret = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return f"token:{crypto.token_hash(secret)}" if secret else f"ip:{request.remote_addr}"


class Unauthorized(DsarError):
    code = "unauthorized"
    status = 401


def token_required(view):
    """Resolve the bearer token to its tenant before the view runs; 401 otherwise.
    Each token may make STAFF_API_LIMIT requests (429 beyond)."""

    @limiter.limit(_staff_api_limit, key_func=_token_key)
    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        found = tenant_for_token(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if found is None:
            raise Unauthorized("a valid bearer token is required: Authorization: Bearer <token>")
        g.tenant, g.api_token = found
        return view(*args, **kwargs)

    wrapper._apidoc = getattr(view, "_apidoc", {})  # keep smorest's doc info
    return wrapper


def api_actor() -> str:
    return f"token:{g.api_token.id}"
