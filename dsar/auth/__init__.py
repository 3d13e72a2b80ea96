"""Staff sign-in (Flask-Login): password, lockout, TOTP second factor, session expiry."""
from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.record_once
def _configure(state) -> None:
    from dsar.auth.session import configure

    configure(state.app)


from dsar.auth import account_views, views  # noqa: E402,F401
