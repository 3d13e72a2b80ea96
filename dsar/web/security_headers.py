"""Security headers on every answer of the app (portal, dashboard, API).

The content security policy is strict: everything comes from this origin, no inline
script or style (JavaScript lives in ``static/``), no framing. Pages that show personal
data also ask browsers and proxies not to keep a copy (``no_store``).
"""
from __future__ import annotations

from flask import Flask, Response, g, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Portal links carry verification and download tokens: never leak them onwards.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def no_store() -> None:
    """Mark the current answer as not to be cached (it shows personal data)."""
    g.dsar_no_store = True


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if g.get("dsar_no_store"):
            response.headers["Cache-Control"] = "no-store"
        return response
