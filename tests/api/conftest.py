"""API fixtures: a tenant, a bearer token of it, and the headers that carry a token.

    def test_something(client, tenant, auth):
        client.get("/api/v1/requests", headers=auth)

``token_for(tenant)`` issues a token of any tenant (``headers_for(secret)`` turns it into
headers), for tests that need a second tenant or a revoked token.
"""
from __future__ import annotations

from collections.abc import Callable

import pytest

from dsar.extensions import db
from dsar.models import Tenant
from dsar.services.api_tokens import create_token
from tests.factories import make_tenant


def headers_for(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token_for(app) -> Callable[[Tenant], str]:
    """Issue a bearer token of ``tenant`` and return its secret."""

    def issue(tenant: Tenant, name: str = "tests") -> str:
        secret = create_token(tenant, name, actor="test").secret
        db.session.commit()
        return secret

    return issue


@pytest.fixture
def tenant(app) -> Tenant:
    """A GDPR tenant in Great Britain with a DPO address."""
    return make_tenant(regime="gdpr", country="GB", dpo_email="dpo@example.com")


@pytest.fixture
def token(tenant, token_for) -> str:
    return token_for(tenant)


@pytest.fixture
def auth(token) -> dict[str, str]:
    """Headers carrying the ``tenant``'s token."""
    return headers_for(token)
