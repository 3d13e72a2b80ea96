"""Factories for dashboard tests: requests through the life cycle, staff sessions."""
from __future__ import annotations

import contextvars
import itertools
import time
from datetime import datetime

import pyotp
from flask.testing import FlaskClient

from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import Tenant, User
from dsar.services import lifecycle

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


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own application context, as in a
    real server: a fresh ``g`` (no user cached by Flask-Login from the previous request)
    and a fresh database session. The test's own session sees the request's writes after
    ``db.session.expire_all()`` or ``refresh``."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)
