"""The HTTP API under /api/v1 (SPEC §8), described by /api/v1/openapi.json.

Each area of the API is a flask-smorest Blueprint in its own module, listed in ``AREAS``.
All errors, including the ones flask-smorest and werkzeug raise (404, 405, 415, 422,
429, malformed JSON), leave through ``dsar.web.http_errors`` in one envelope.
"""
from __future__ import annotations

import importlib

import marshmallow as ma
from flask import Flask
from flask_smorest import Api

from dsar.extensions import csrf

#: Modules under dsar.api that define a smorest Blueprint named ``blp``.
AREAS = ("dsar.api.intake", "dsar.api.requests", "dsar.api.exports", "dsar.api.suppressions", "dsar.api.jobs")


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "what went wrong, in words"})
    details = ma.fields.Dict(required=True, metadata={"description": "e.g. the field that was wrong"})


class ErrorSchema(ma.Schema):
    """The one error envelope of SPEC §8: ``{"error": {"code", "message", "details"}}``."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


class DsarApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        """Leave error rendering to dsar.web.http_errors: one envelope for the whole app."""


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "dsar")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = DsarApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer", "description": "a token from `dsar tokens create`"}}}})
    for name in AREAS:
        # No try: a renamed or missing area must stop start-up, not drop its endpoints silently.
        module = importlib.import_module(name)
        csrf.exempt(module.blp)  # bearer tokens, not cookies: no CSRF exposure
        api.register_blueprint(module.blp, url_prefix="/api/v1")
