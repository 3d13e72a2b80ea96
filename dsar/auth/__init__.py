"""Staff sign-in (Flask-Login)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from dsar.auth import views  # noqa: E402,F401
