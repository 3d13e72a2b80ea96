"""Checks every request passes before any view: what the whole app refuses alike.

* A body larger than ``DSAR_MAX_BODY_BYTES``: 413 from its Content-Length, before anything
  (CSRF, a form, a JSON parser, a rate limit) reads it. A body without a length (chunked)
  is cut off by werkzeug at the same size (``MAX_CONTENT_LENGTH``), also a 413.
* The NUL character, anywhere: PostgreSQL cannot store it in text, so it would otherwise
  surface as a server error deep inside a query (found by schemathesis). 400, naming the field.
* A lone surrogate (``"\ud800"`` in JSON): no UTF-8 can encode it, so encryption, the
  database and every page showing it would fail. 400, naming the field.
* JSON nested deeper than ``MAX_JSON_DEPTH``: Python's parser would overflow its stack. 400.
* A number in a query string out of its range (``page=99999999999999999999``): 422 naming
  the parameter, before a view turns it into an SQL OFFSET or a date.
* A body that is not JSON sent to the API: 415, instead of a misleading "fields missing".
"""
from __future__ import annotations

import re

from flask import Flask, current_app, request

from dsar.errors import DsarError, ValidationError


class NulCharacter(DsarError):
    code = "invalid_character"
    status = 400


class TooDeep(DsarError):
    code = "invalid_json"
    status = 400


#: No request of this API nests more than a few levels; 32 leaves room and no stack risk.
MAX_JSON_DEPTH = 32
#: Query parameters that are numbers -> their (low, high) bounds; any other ``…_id`` must fit
#: a 32-bit integer (``INT_LIMIT``). Free text that happens to be digits (a phone number in
#: ``phone`` or ``q``) is not a number and is left alone.
QUERY_BOUNDS = {
    "page": (1, 100_000),
    "per_page": (1, 1000),
    "year": (1970, 9999),
    "assignee": (1, 2**31 - 1),
    "assignee_id": (1, 2**31 - 1),
}
INT_LIMIT = 2**31 - 1
_SURROGATES = re.compile("[\ud800-\udfff]")


def _bad_character(text: str) -> str | None:
    if "\x00" in text:
        return "the NUL character"
    if _SURROGATES.search(text):
        return "a lone surrogate (not a character any text can hold)"
    return None


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


def _first_bad(value, path: str) -> tuple[str, str] | None:
    """(field path, what is wrong) for the first string in ``value`` no text column can hold."""
    if isinstance(value, str):
        problem = _bad_character(value)
        return (path, problem) if problem else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _bad_character(key):
            return name, _bad_character(key)
        found = _first_bad(item, name)
        if found:
            return found
    return None


def _first_bad_parameter(parameters) -> tuple[str, str] | None:
    for key, value in parameters.items(multi=True):
        problem = _bad_character(key + value)
        if problem:
            return key, problem
    return None


def _json_depth_exceeds(data: bytes, limit: int) -> bool:
    """True if brackets outside strings nest deeper than ``limit``; a cheap count first."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _check_query_numbers() -> None:
    for name, value in request.args.items(multi=True):
        text = value.strip()
        if not text.lstrip("-").isdigit() or (name not in QUERY_BOUNDS and not name.endswith("_id")):
            continue  # not a number: the view or schema names what is wrong
        low, high = QUERY_BOUNDS.get(name, (-INT_LIMIT, INT_LIMIT))
        if len(text) > 12 or not low <= int(text) <= high:
            message = f"{name} must be a whole number from {low} to {high}"
            # "query" as the API's schema errors put it (webargs), "field" as everywhere else.
            raise ValidationError(message, details={"field": name, "query": {name: [message]}})


def _check_media_type() -> None:
    if request.path.startswith("/api/") and request.content_length and not request.is_json:
        raise UnsupportedMediaType(
            f"send the body as JSON with Content-Type: application/json, not {request.mimetype or 'no type'}",
            details={"field": "Content-Type"})


def _check_request() -> None:
    _check_media_type()
    found = (("path", _bad_character(request.path)) if _bad_character(request.path) else None) \
        or _first_bad_parameter(request.args) or _first_bad_parameter(request.form)
    if found is None and request.is_json:
        if _json_depth_exceeds(request.get_data(cache=True), MAX_JSON_DEPTH):
            raise TooDeep(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.", details={"field": "body"})
        found = _first_bad(request.get_json(silent=True), "")
    if found:
        field, problem = found
        raise NulCharacter(f"{field} contains {problem}, which is not allowed", details={"field": field})
    _check_query_numbers()


def init_app(app: Flask) -> None:
    # First of all before-request functions: CSRF protection would parse the form.
    app.before_request_funcs.setdefault(None, []).insert(0, _check_body_size)
    app.before_request(_check_request)
