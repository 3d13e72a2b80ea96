"""Bearer tokens per tenant (SPEC §8): ``g.tenant`` is the token's tenant, nothing else."""
from __future__ import annotations

from functools import wraps

from flask import g, request

from dsar.errors import DsarError
from dsar.extensions import db
from dsar.services.staff import tenant_for_token


class Unauthorized(DsarError):
    code = "unauthorized"
    status = 401


def token_required(view):
    """Resolve the bearer token to its tenant before the view runs; 401 otherwise."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        found = tenant_for_token(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if found is None:
            raise Unauthorized("a valid bearer token is required: Authorization: Bearer <token>")
        g.tenant, g.api_token = found
        db.session.commit()  # last_used_at
        return view(*args, **kwargs)

    wrapper._apidoc = getattr(view, "_apidoc", {})  # keep smorest's doc info
    return wrapper


def api_actor() -> str:
    return f"token:{g.api_token.id}"
