"""Security headers on every kind of answer, and no inline script anywhere we serve."""
import re
from pathlib import Path

from dsar.web.security_headers import CONTENT_SECURITY_POLICY
from tests.dashboard.factories import make_request, sign_in
from tests.factories import make_tenant, make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def assert_secure(response):
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_headers_on_portal_login_dashboard_api_and_errors(client):
    tenant = make_tenant("acme")
    user = make_user(tenant, "agent")
    request = make_request(tenant)
    answers = [client.get("/t/acme/"), client.get("/login"), client.get("/api/v1/nothing"), client.get("/nowhere")]
    sign_in(client, user)
    dashboard = [client.get("/dashboard/"), client.get(f"/dashboard/requests/{request.reference}")]
    for response in answers + dashboard:
        assert_secure(response)
    for response in dashboard:  # personal data: never cached
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers.get("Cache-Control") != "no-store"


def test_the_policy_is_the_documented_one():
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'self'")


def test_dashboard_and_auth_templates_hold_no_inline_script_or_style():
    for folder in ("dashboard", "auth"):
        for path in (TEMPLATES / folder).glob("*.html"):
            text = path.read_text()
            assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
            assert not re.search(r"\bstyle=|<style|\bon[a-z]+=\"", text), path
