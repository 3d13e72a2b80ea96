"""Access logs without secrets or personal data (STYLE rule 12).

A URL can carry both: ``/api/v1/suppressions/check?email=…`` names a subject, and the
status (``?t=``), verification, download, invitation and password-reset links carry tokens
that act for someone. Every access log line therefore shows the path with its token parts
replaced and every query value dropped (the parameter names stay, for debugging).

Used by ``dsar run`` (werkzeug's request handler) and by gunicorn through the
``gunicorn.conf.py`` at the project root (``logger_class``).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from werkzeug.serving import WSGIRequestHandler

REDACTED = "[redacted]"
#: Paths whose last part is a secret, whatever it looks like.
_TOKEN_PATHS = re.compile(r"^(/download/|/t/[^/]+/verify/|/invitations/|/password/reset/)[^/?]+")
#: Any other path part that looks like a token (long, URL-safe base64).
_TOKEN_PART = re.compile(r"(?<=/)[A-Za-z0-9_-]{24,}(?=/|$)")


def redact(target: str) -> str:
    """``/r/DSR-1?t=secret`` -> ``/r/DSR-1?t=[redacted]``; token path parts likewise."""
    parts = urlsplit(target)
    path = _TOKEN_PATHS.sub(lambda match: match.group(1) + REDACTED, parts.path)
    path = _TOKEN_PART.sub(REDACTED, path)
    if not parts.query:
        return path
    names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    return path + "?" + "&".join(f"{name}={REDACTED}" for name in names) if names else path + "?" + REDACTED


class RedactingRequestHandler(WSGIRequestHandler):
    """werkzeug's development server, logging redacted request lines."""

    def log_request(self, code="-", size="-") -> None:
        # werkzeug builds the line from ``path`` (the answer has been sent by now).
        self.path = redact(self.path)
        super().log_request(code, size)


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - gunicorn is a dependency, but not on every platform
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):  # type: ignore[misc, valid-type]
    """gunicorn's logger with the request line, path, query and referrer redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = f"{environ['REQUEST_METHOD']} {redact(environ.get('RAW_URI', ''))} {environ['SERVER_PROTOCOL']}"
        atoms["U"] = redact(environ.get("PATH_INFO", ""))
        atoms["q"] = redact("?" + environ["QUERY_STRING"])[1:] if environ.get("QUERY_STRING") else ""
        if atoms.get("f", "-") != "-":
            atoms["f"] = redact(atoms["f"])
        return atoms
