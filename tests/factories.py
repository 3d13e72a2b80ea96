"""Factories for the rows tests need: built through the services, never by hand."""
from __future__ import annotations

import itertools

from dsar.extensions import db
from dsar.models import RightsRequest, Tenant, User
from dsar.services.staff_accounts import create_user
from dsar.services.tenants import TenantSpec, create_tenant

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_tenant(slug: str | None = None, **fields) -> Tenant:
    n = next(_seq)
    spec = TenantSpec(slug=slug or f"tenant-{n}", name=fields.pop("name", f"Tenant {n} Ltd"),
                      regime=fields.pop("regime", "gdpr"), country=fields.pop("country", "GB"), **fields)
    tenant = create_tenant(spec, actor="test")
    db.session.commit()
    return tenant


def make_user(tenant: Tenant, role: str = "dpo", email: str | None = None, password: str = PASSWORD) -> User:
    user = create_user(email or f"staff{next(_seq)}@example.com", "Test Staff", password, tenant, role, actor="test")
    db.session.commit()
    return user


def make_request(tenant: Tenant, *, type: str = "access", email: str | None = None, status: str = "unverified",
                 received_days_ago: int = 0, **fields) -> "RightsRequest":
    """A request through the life cycle, walked to ``status`` (unverified, verified or in_progress)."""
    from datetime import timedelta

    from dsar.models import utcnow
    from dsar.services import lifecycle

    request = lifecycle.create_request(
        tenant, type=type, subject=lifecycle.Subject(email=email or f"subject{next(_seq)}@example.com",
                                                     name=fields.pop("name", "Sam Subject")),
        received_at=utcnow() - timedelta(days=received_days_ago, minutes=1), actor="test", **fields)
    if status in ("verified", "in_progress"):
        lifecycle.verify(request, "system:test", reason="test fixture")
    if status == "in_progress":
        lifecycle.approve(request, "system:test")
    db.session.commit()
    return request


def fulfil(request: RightsRequest, actor: str) -> RightsRequest:
    """``services.fulfilment.fulfil`` with the test as its entry point: the test owns the unit
    of work and commits it once the fulfilment returns, as a request or a job run would."""
    from dsar.services import fulfilment

    done = fulfilment.fulfil(request, actor)
    db.session.commit()
    return done
