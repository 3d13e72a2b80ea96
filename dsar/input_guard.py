"""Checks every request passes before any view: what the whole app refuses alike.

* A body larger than ``DSAR_MAX_BODY_BYTES``: 413 from its Content-Length, before anything
  (CSRF, a form, a JSON parser, a rate limit) reads it. A body without a length (chunked)
  is cut off by werkzeug at the same size (``MAX_CONTENT_LENGTH``), also a 413.
* The NUL character, anywhere: PostgreSQL cannot store it in text, so it would otherwise
  surface as a server error deep inside a query (found by schemathesis). 400, naming the field.
* A body that is not JSON sent to the API: 415, instead of a misleading "fields missing".
"""
from __future__ import annotations

from flask import Flask, current_app, request

from dsar.errors import DsarError


class NulCharacter(DsarError):
    code = "invalid_character"
    status = 400


class UnsupportedMediaType(DsarError):
    code = "unsupported_media_type"
    status = 415


class BodyTooLarge(DsarError):
    code = "request_entity_too_large"
    status = 413


def body_too_large_message(limit: int) -> str:
    return f"The request body is larger than the {limit:,} bytes this service accepts."


def _check_body_size() -> None:
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return
    if request.content_length is not None:
        if request.content_length > limit:
            raise BodyTooLarge(body_too_large_message(limit), details={"limit": limit})
    elif "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # No length to trust: werkzeug's stream stops at the limit without saying so, so read
        # (and cache, for the parsers) at most that much and refuse if anything is left.
        if len(request.get_data(cache=True)) >= limit and request.environ["wsgi.input"].read(1):
            raise BodyTooLarge(body_too_large_message(limit), details={"limit": limit})


def _first_nul(value, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return name
        found = _first_nul(item, name)
        if found:
            return found
    return None


def _first_nul_parameter(parameters) -> str | None:
    return next((key for key, value in parameters.items(multi=True) if "\x00" in key + value), None)


def _check_media_type() -> None:
    if request.path.startswith("/api/") and request.content_length and not request.is_json:
        raise UnsupportedMediaType(
            f"send the body as JSON with Content-Type: application/json, not {request.mimetype or 'no type'}",
            details={"field": "Content-Type"})


def _check_request() -> None:
    _check_media_type()
    field = (("path" if "\x00" in request.path else None)
             or _first_nul_parameter(request.args) or _first_nul_parameter(request.form))
    if field is None and request.is_json:
        field = _first_nul(request.get_json(silent=True), "")
    if field:
        raise NulCharacter(f"{field} contains the NUL character, which is not allowed",
                           details={"field": field})


def init_app(app: Flask) -> None:
    # First of all before-request functions: CSRF protection would parse the form.
    app.before_request_funcs.setdefault(None, []).insert(0, _check_body_size)
    app.before_request(_check_request)
