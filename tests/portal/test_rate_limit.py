"""Per-IP rate limits on intake and verification (Flask-Limiter, storage from config)."""
from __future__ import annotations

import pytest

from dsar import create_app
from tests.factories import make_tenant
from tests.portal.helpers import all_requests, portal_submit


@pytest.fixture
def limited(app, app_environ, instance):
    """The test app again, with rate limiting switched on (the suite's default is off)."""
    limited = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True},
                         environ=app_environ, instance_path=str(instance))
    assert limited.config["RATELIMIT_STORAGE_URI"] == "memory://"
    make_tenant("acme")
    return limited.test_client()


def test_the_sixth_submission_in_a_minute_is_refused(limited):
    for n in range(5):
        assert portal_submit(limited, email=f"p{n}@example.com").status_code == 200
    refused = portal_submit(limited, email="p5@example.com")
    assert refused.status_code == 429 and b"5 per 1 minute" in refused.data
    # The API shares the budget: switching door does not help.
    api = limited.post("/api/v1/tenants/acme/requests", json={"type": "access", "email": "q@example.com"})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "too_many_requests"
    assert len(all_requests()) == 5
    # Another address (IP) still gets through.
    other = limited.post("/t/acme/requests", data={"type": "access", "email": "r@example.com", "regime": "gdpr"},
                         environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert other.status_code == 200


def test_code_guessing_is_limited(limited):
    for _ in range(10):
        response = limited.post("/t/acme/confirm", data={"reference": "DSR-0000-0000", "code": "123456"})
        assert response.status_code == 400
    assert limited.post("/t/acme/confirm", data={"reference": "DSR-0000-0000", "code": "123456"}).status_code == 429
    assert limited.post("/api/v1/requests/DSR-0000-0000/verify", json={"code": "123456"}).status_code == 429
    assert limited.get("/t/acme/confirm").status_code == 200  # reading the form is not limited
