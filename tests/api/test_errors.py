"""One error envelope everywhere in the API: unknown routes, wrong methods, bodies that are
not JSON or not an object, malformed JSON, and too many requests — each with its status."""
import pytest

from dsar import create_app
from tests.api.conftest import headers_for
from tests.factories import make_tenant

INTAKE = "/api/v1/tenants/acme/requests"


def envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.data
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.fixture
def acme(app):
    return make_tenant("acme")


def test_unknown_route_is_404(client):
    envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405(client, acme):
    envelope(client.get(INTAKE), 405, "method_not_allowed")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_415(client, acme, content_type):
    error = envelope(client.post(INTAKE, data="type=access&email=a@example.com", content_type=content_type),
                     415, "unsupported_media_type")
    assert error["details"] == {"field": "Content-Type"} and "application/json" in error["message"]


def test_malformed_json_is_400(client, acme):
    error = envelope(client.post(INTAKE, data="{not json", content_type="application/json"), 400, "bad_request")
    assert error["message"] == "The request body is not valid JSON."


@pytest.mark.parametrize("body", ["[1, 2]", '"access"', "42", "null"])
def test_json_that_is_not_an_object_is_422(client, acme, body):
    error = envelope(client.post(INTAKE, data=body, content_type="application/json"), 422, "validation_error")
    assert "Check these fields" in error["message"] or "JSON object" in error["message"]


def test_a_missing_field_is_422_naming_it(client, acme):
    error = envelope(client.post(INTAKE, json={"type": "access"}), 422, "validation_error")
    assert error["details"]["json"] == {"email": ["Missing data for required field."]}
    assert error["message"] == "Check these fields: email."


def test_the_staff_api_is_rate_limited_per_token(app, app_environ, instance, tenant, token_for):
    limited = create_app({"TESTING": True, "RATELIMIT_ENABLED": True, "DSAR_STAFF_API_LIMIT": "3 per minute"},
                         environ=app_environ, instance_path=str(instance))
    client = limited.test_client()
    first, second = headers_for(token_for(tenant)), headers_for(token_for(tenant))
    for _ in range(3):
        assert client.get("/api/v1/requests", headers=first).status_code == 200
    envelope(client.get("/api/v1/requests", headers=first), 429, "too_many_requests")
    assert client.get("/api/v1/requests", headers=second).status_code == 200  # another token, its own budget

