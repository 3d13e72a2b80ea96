"""The subject's download link for an access or portability export (SPEC §6)."""
from flask import Blueprint

bp = Blueprint("downloads", __name__)

from dsar.downloads import views  # noqa: E402,F401  (routes register on import)
