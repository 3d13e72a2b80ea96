"""One exception hierarchy for everything a user can get wrong.

Each error carries a stable ``code`` (for the API envelope and tests), a message a
person can act on, and optional ``details`` (for example the field that was wrong).
The HTTP, form and CLI layers each map these in exactly one place.
"""
from __future__ import annotations

from typing import Any


class DsarError(Exception):
    """Base of every expected, user-facing failure."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class ValidationError(DsarError):
    """Input that does not meet the contract (a field, a file, an argument)."""

    code = "validation_error"
    status = 422


class NotFound(DsarError):
    """Missing, or belonging to another tenant: both answer the same."""

    code = "not_found"
    status = 404


class Conflict(DsarError):
    """The action is not allowed in the current state (e.g. a second extension)."""

    code = "conflict"
    status = 409


class Forbidden(DsarError):
    code = "forbidden"
    status = 403


class ConfigurationError(DsarError):
    """The deployment is misconfigured (missing key in production, bad data map...)."""

    code = "configuration_error"
    status = 500


class SourceUnavailable(DsarError):
    """A customer database named in the data map could not be reached."""

    code = "source_unavailable"
    status = 503
