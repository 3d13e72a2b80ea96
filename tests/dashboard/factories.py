"""Factories for dashboard tests: a tenant with signed-in staff, requests through the life
cycle, the request page and its action forms."""
from __future__ import annotations

import contextvars
import itertools
import time
from datetime import datetime

import pyotp
import sqlalchemy as sa
from flask.testing import FlaskClient

from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import RightsRequest, Tenant, User
from dsar.services import lifecycle
from tests.factories import make_tenant, make_user

_seq = itertools.count(1)


def make_request(tenant: Tenant, type: str = "access", *, email: str | None = None, name: str | None = "Ada Subject",
                 received_at: datetime | None = None, channel: str = "portal", regime: str | None = None):
    request = lifecycle.create_request(
        tenant, type=type, subject=lifecycle.Subject(email=email or f"subject{next(_seq)}@example.org", name=name),
        received_at=received_at, channel=channel, regime=regime)
    db.session.commit()
    return request


def enrol_totp(user: User) -> str:
    """Turn two-factor on for ``user`` directly; return the secret (for pyotp codes)."""
    secret = pyotp.random_base32()
    user.totp_secret, user.totp_enabled = keyring().encrypt_text(secret), True
    db.session.commit()
    return secret


def sign_in(client, user: User, tenant: Tenant | None = None, *, second_factor: bool = True) -> None:
    """Put a signed-in staff session in the test client's cookie (the sign-in flow itself is
    tested in tests/auth)."""
    now = int(time.time())
    with client.session_transaction() as session:
        session.update({"_user_id": str(user.id), "_fresh": True, "signed_in_at": now, "last_seen": now,
                        "mfa": second_factor})
        if tenant is not None:
            session["tenant_id"] = tenant.id


def staff_tenant(slug: str) -> Tenant:
    """A GDPR tenant in Great Britain: the one the request-page, action, operations and
    letter-words tests work in (each under its own slug)."""
    return make_tenant(slug, regime="gdpr", country="GB")


def signed_in_staff(client, tenant: Tenant, role: str = "dpo") -> User:
    """A new member of ``tenant``'s staff in ``role``, signed in on ``client``."""
    user = make_user(tenant, role)
    sign_in(client, user, tenant)
    return user


def act(client, request: RightsRequest, name: str, **form):
    """Post one action form of the request's page, as a member of staff would."""
    return client.post(f"/dashboard/requests/{request.reference}/actions/{name}", data=form)


def request_page(client, request: RightsRequest) -> str:
    """The request's page as staff see it (with the messages the last action flashed)."""
    return client.get(f"/dashboard/requests/{request.reference}").get_data(as_text=True)


def fresh(request: RightsRequest) -> RightsRequest:
    """The request as the database holds it now (after the views' own sessions wrote)."""
    db.session.expire_all()
    return db.session.execute(sa.select(RightsRequest).where(RightsRequest.id == request.id)).scalar_one()


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own application context, as in a
    real server: a fresh ``g`` (no user cached by Flask-Login from the previous request)
    and a fresh database session. The test's own session sees the request's writes after
    ``db.session.expire_all()`` or ``refresh``."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)
