"""Staff sign-in (Flask-Login): password, lockout, TOTP second factor, session expiry."""
from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.record_once
def _configure(state) -> None:
    session.configure(state.app)


from dsar.auth import account_views, session, views  # noqa: E402,F401
