"""Refuse the NUL character in any input, for the whole app.

PostgreSQL cannot store NUL in text, so a NUL anywhere in a query string, form or JSON body
would otherwise surface as a server error deep inside a query. No field of dsar needs it:
answer 400 naming the field instead (found by schemathesis).
"""
from __future__ import annotations

from flask import Flask, request

from dsar.errors import DsarError


class NulCharacter(DsarError):
    code = "invalid_character"
    status = 400


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


def _check_request() -> None:
    field = (("path" if "\x00" in request.path else None)
             or _first_nul_parameter(request.args) or _first_nul_parameter(request.form))
    if field is None and request.is_json:
        field = _first_nul(request.get_json(silent=True), "")
    if field:
        raise NulCharacter(f"{field} contains the NUL character, which is not allowed",
                           details={"field": field})


def init_app(app: Flask) -> None:
    app.before_request(_check_request)
