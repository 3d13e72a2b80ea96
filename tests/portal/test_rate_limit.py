"""Per-IP rate limits on intake and verification (Flask-Limiter, storage from config).

Only accepted submissions count toward ``DSAR_INTAKE_RATE_LIMIT``: a typo costs nothing.
The portal's refusal is its own page, in the visitor's language, saying when to try again;
the API's is JSON with ``Retry-After``."""
from __future__ import annotations

import re

import pytest

from dsar import create_app
from dsar.config import load_config
from dsar.errors import ConfigurationError
from tests.factories import make_tenant
from tests.portal.helpers import all_requests, portal_submit


def _limited(app_environ, instance, **environ):
    limited = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True},
                         environ={**app_environ, **environ}, instance_path=str(instance))
    assert limited.config["RATELIMIT_STORAGE_URI"] == "memory://"
    make_tenant("acme", name="Acme Chat")
    return limited.test_client()


@pytest.fixture
def limited(app, app_environ, instance):
    """The test app again, with rate limiting switched on (the suite's default is off)."""
    return _limited(app_environ, instance)


def test_the_sixth_submission_in_a_minute_is_refused(limited):
    for n in range(5):
        assert portal_submit(limited, email=f"p{n}@example.com").status_code == 200
    refused = portal_submit(limited, email="p5@example.com", headers={"Accept-Language": "de"})
    page = refused.data.decode()
    assert refused.status_code == 429 and "5 per 1 minute" not in page
    assert "<h1>Zu viele Versuche</h1>" in page and "Acme Chat" in page
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 61 and re.search(rf"Bitte versuchen Sie es in {wait} Sekunden? erneut", page)
    # The API shares the budget: switching door does not help.
    api = limited.post("/api/v1/tenants/acme/requests", json={"type": "access", "email": "q@example.com"})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(api.headers["Retry-After"]) <= 61
    assert api.get_json()["error"]["details"]["retry_after"] == int(api.headers["Retry-After"])
    assert len(all_requests()) == 5
    # Another address (IP) still gets through.
    other = limited.post("/t/acme/requests", data={"type": "access", "email": "r@example.com", "regime": "gdpr"},
                         environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert other.status_code == 303


def test_refused_input_does_not_count(limited):
    for _ in range(8):  # typos, on the form and in the API
        assert portal_submit(limited, email="not an address").status_code == 400
        assert limited.post("/api/v1/tenants/acme/requests",
                            json={"type": "access", "email": "nope"}).status_code == 422
    for n in range(5):
        assert portal_submit(limited, email=f"ok{n}@example.com").status_code == 200
    assert len(all_requests()) == 5
    assert portal_submit(limited, email="ok5@example.com").status_code == 429


def test_the_limit_is_the_setting(app, app_environ, instance):
    client = _limited(app_environ, instance, DSAR_INTAKE_RATE_LIMIT="2/minute")
    assert [portal_submit(client, email=f"s{n}@example.com").status_code for n in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("value", ["", "lots", "0/minute", "5/fortnight", "-1/minute"])
def test_a_bad_intake_limit_stops_the_start_with_one_line(tmp_path, value):
    with pytest.raises(ConfigurationError, match="^DSAR_INTAKE_RATE_LIMIT must be limits like 5/minute;20/hour, "
                                                 r"not '.*'$"):
        load_config(str(tmp_path), {"DSAR_INTAKE_RATE_LIMIT": value})


def test_code_guessing_is_limited(limited):
    for _ in range(10):
        response = limited.post("/t/acme/confirm", data={"reference": "DSR-0000-0000", "code": "123456"})
        assert response.status_code == 400
    refused = limited.post("/t/acme/confirm", data={"reference": "DSR-0000-0000", "code": "123456"})
    assert refused.status_code == 429 and "Too many attempts" in refused.data.decode()
    assert limited.post("/api/v1/requests/DSR-0000-0000/verify", json={"code": "123456"}).status_code == 429
    assert limited.get("/t/acme/confirm").status_code == 200  # reading the form is not limited
