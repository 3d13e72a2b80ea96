"""A staff session: started after every factor passed, ended by sign-out, age or idleness.

The session cookie holds the user (Flask-Login), when the session started and was last
used, whether a second factor was passed, the tenant being worked on, and the user's
*session generation* at sign-in. Sign-out, a password change and a two-factor reset raise
the generation stored on the user, so every cookie issued before — including a copy taken
off the machine — is refused on its next request (the cookie alone cannot be revoked).
Between the password and the second factor only ``pending_user_id`` is held.
"""
from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from dsar.extensions import db
from dsar.models import User, utcnow
from dsar.services.staff_accounts import end_every_session

#: Defaults for tests that build an app without ``load_config``; deployments set
#: DSAR_SESSION_MAX_HOURS and DSAR_SESSION_IDLE_MINUTES (dsar.config).
DEFAULTS = {"DSAR_SESSION_MAX_HOURS": 8, "DSAR_SESSION_IDLE_MINUTES": 30, "DSAR_PENDING_SIGNIN_MINUTES": 5}


def configure(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["DSAR_SESSION_MAX_HOURS"])
    app.before_request(_expire_idle_or_old_sessions)


def begin_pending(user: User, step: str) -> None:
    """Password accepted; ``step`` ('code' or 'enrol') must pass before signing in."""
    session.clear()
    session["pending_user_id"], session["pending_step"], session["pending_at"] = user.id, step, int(time.time())


def pending_user() -> User | None:
    """The user between password and second factor, while that window is open."""
    user_id, started = session.get("pending_user_id"), session.get("pending_at", 0)
    if user_id is None or time.time() - started > current_app.config["DSAR_PENDING_SIGNIN_MINUTES"] * 60:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def start(user: User, *, second_factor: bool) -> None:
    """Sign ``user`` in on a fresh session (no state carried over from before)."""
    session.clear()
    login_user(user)
    session.permanent = True
    now = int(time.time())
    session["signed_in_at"], session["last_seen"], session["mfa"] = now, now, second_factor
    session["gen"] = user.session_generation or 0
    first = min(user.memberships, key=lambda m: m.tenant_id, default=None)
    if first is not None:
        session["tenant_id"] = first.tenant_id
    user.last_login_at = utcnow()


def end(*, everywhere: bool = True) -> None:
    """Sign out of this browser and, by default, of every other session of the same person."""
    if everywhere and current_user.is_authenticated:
        end_every_session(current_user)
    logout_user()
    session.clear()


def _expire_idle_or_old_sessions():
    if "_user_id" not in session or request.endpoint == "static" or request.path.startswith("/api/"):
        return None
    now, config = time.time(), current_app.config
    too_old = now - session.get("signed_in_at", 0) > config["DSAR_SESSION_MAX_HOURS"] * 3600
    idle = now - session.get("last_seen", 0) > config["DSAR_SESSION_IDLE_MINUTES"] * 60
    if current_user.is_authenticated and session.get("gen", 0) != current_user.session_generation:
        end(everywhere=False)
        flash("You were signed out (sign-out elsewhere, or a password or two-factor change). Please sign in again.")
        return redirect(url_for("auth.login"))
    if too_old or idle:
        end(everywhere=False)
        flash("You were signed out after a period of inactivity. Please sign in again."
              if idle and not too_old else "Your session has ended. Please sign in again.")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None))
    session["last_seen"] = int(now)
    if not current_user.is_authenticated:  # deactivated since: Flask-Login found no active user
        session.clear()
    return None
