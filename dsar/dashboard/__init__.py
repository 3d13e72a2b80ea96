"""The staff dashboard (SPEC §1): the queue, a request's page, audit, reports, operations.

Every page works on the tenant held in the session (``g.tenant``) and looks rows up
through it, so another tenant's request, task, token or user answers 404 like a missing one.
"""
from flask import Blueprint, Flask

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

from dsar.dashboard import access  # noqa: E402,F401  (the guard every view passes)
from dsar.dashboard import (  # noqa: E402,F401
    audit_views, operations_views, queue_views, report_views, request_views, staff_views,
)
