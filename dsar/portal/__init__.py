"""The data subject's side: each tenant's portal (SPEC §2, §4)."""
from flask import Blueprint

bp = Blueprint("portal", __name__)

from dsar.portal import views  # noqa: E402,F401  (routes register on import)
