"""Maps every failure to an HTTP answer in one place: JSON under /api, pages elsewhere.

The API envelope is ``{"error": {"code", "message", "details"}}`` (SPEC §8). Every failure
rolls the request's unit of work back (``dsar.web.unit_of_work``). Unexpected
exceptions are logged with their traceback and answered with a plain 500 — never a
traceback to the client.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from dsar.errors import ConfigurationError, DsarError, ValidationError
from dsar.web.input_guard import body_too_large_message
from dsar.web.unit_of_work import fail


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, details: dict | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "details": details or {}}}
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DsarError)
    def _dsar_error(exc: DsarError):
        fail()  # the request's unit of work: nothing it did is committed
        # A tenant set up incompletely (no data map yet: a plain ConfigurationError) is the
        # state the action meets, not a server failure: 409 with the error's own words, which
        # say what to do. Its subclasses (an export directory that refuses files) stay 500.
        status = 409 if type(exc) is ConfigurationError else exc.status
        return error_response(status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        fail()  # the request's unit of work: nothing it did is committed
        details = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
        if exc.code == 422:  # schema errors (flask-smorest) read like the services' own
            return error_response(422, ValidationError.code, _fields_message(details), details)
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.code == 400 and details and "json" in details:  # webargs could not parse the body
            message = "The request body is not valid JSON."
        if exc.code == 413:  # a body without a length, cut off by werkzeug while reading
            message = body_too_large_message(app.config["MAX_CONTENT_LENGTH"])
        return error_response(exc.code or 500, code, message, details)

    @app.errorhandler(OperationalError)
    def _database_down(exc: OperationalError):
        fail()  # the request's unit of work: nothing it did is committed
        app.logger.error("database unavailable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return error_response(503, "service_unavailable",
                              "The service is temporarily unavailable. Please try again in a few minutes.")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        fail()  # the request's unit of work: nothing it did is committed
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side. It has been logged.")


def _fields_message(details: dict | None) -> str:
    """'Check these fields: email, type.' from webargs' {location: {field: [messages]}}."""
    names = sorted({field for fields in (details or {}).values() if isinstance(fields, dict) for field in fields})
    if names == ["_schema"]:
        return "The body must be a JSON object with the fields described in /api/v1/openapi.json."
    names = [name for name in names if name != "_schema"]
    return f"Check these fields: {', '.join(names)}." if names else "The input is not valid."
