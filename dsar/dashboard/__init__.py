"""The staff dashboard (SPEC §1): the queue, a request's page, audit, reports, operations.

Every page works on the tenant held in the session (``g.tenant``) and looks rows up
through it, so another tenant's request, task, token or user answers 404 like a missing one.
"""
from flask import Blueprint, Flask

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # The dashboard's words for codes (dsar.dashboard.words), as filters of its templates.
    app.jinja_env.filters.update(state_words=words.state_words, event_words=words.event_words,
                                 outcome_words=words.outcome_words, details_words=words.details)

from dsar.dashboard import words  # noqa: E402
from dsar.dashboard import access  # noqa: E402,F401  (the guard every view passes)
from dsar.dashboard import (  # noqa: E402,F401
    audit_views, operations_views, queue_views, report_views, request_views, staff_views,
)
