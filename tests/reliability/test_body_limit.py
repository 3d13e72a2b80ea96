"""DSAR_MAX_BODY_BYTES (default 1 MiB): a larger body is a 413 before anything reads it —
JSON for the API, a page for forms; with a Content-Length and without one (chunked)."""
import http.client
import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from dsar.extensions import db
from dsar.models import RightsRequest
from tests.conftest import environ_for
from tests.factories import make_tenant

LIMIT = 1024 * 1024


def test_the_default_limit_is_one_mebibyte(app):
    assert app.config["MAX_CONTENT_LENGTH"] == LIMIT


def test_a_big_json_body_to_the_api_is_a_413_in_the_envelope(client):
    make_tenant("acme")
    body = json.dumps({"type": "access", "email": "a@example.com", "details": "x" * (2 * LIMIT)})
    response = client.post("/api/v1/tenants/acme/requests", data=body, content_type="application/json")
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "request_entity_too_large" and "1,048,576 bytes" in error["message"]
    assert db.session.execute(select(func.count()).select_from(RightsRequest)).scalar_one() == 0


def test_a_big_form_to_the_portal_is_a_413_page(client):
    make_tenant("acme")
    response = client.post("/t/acme/requests", data={"email": "a@example.com", "details": "x" * (2 * LIMIT)})
    assert response.status_code == 413
    assert response.mimetype == "text/html" and b"1,048,576 bytes" in response.data


def test_a_body_just_under_the_limit_is_read(client):
    make_tenant("acme")
    response = client.post("/api/v1/tenants/acme/requests", content_type="application/json",
                           data=json.dumps({"type": "access", "email": "a@example.com"}).ljust(LIMIT - 10))
    assert response.status_code == 202


def _chunked_post(base_url: str, path: str, content_type: str, total: int) -> tuple[int, bytes]:
    """POST ``total`` bytes with Transfer-Encoding: chunked (no Content-Length) over real HTTP."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", content_type)
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    chunk = b"x" * 65536
    try:
        start = b'{"type": "access", "email": "a@example.com", "details": "'
        connection.send(b"%x\r\n%s\r\n" % (len(start), start))
        for _ in range(total // len(chunk)):
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before the whole body is sent
    response = connection.getresponse()
    status, data = response.status, response.read()
    connection.close()
    return status, data


@pytest.mark.parametrize("path, content_type, want_json", [
    ("/api/v1/tenants/acme/requests", "application/json", True),
    ("/t/acme/requests", "application/x-www-form-urlencoded", False),
])
def test_a_chunked_body_without_length_is_cut_off_at_the_limit(app, live_server, path, content_type, want_json):
    make_tenant("acme")
    status, data = _chunked_post(live_server, path, content_type, 4 * LIMIT)
    assert status == 413, data
    if want_json:
        assert json.loads(data)["error"]["code"] == "request_entity_too_large"
    else:
        assert b"1,048,576 bytes" in data


def test_the_limit_follows_the_setting(app, database_url, instance):
    from dsar import create_app

    small = create_app({"TESTING": True, "RATELIMIT_ENABLED": False},
                       environ=environ_for(database_url, instance, DSAR_MAX_BODY_BYTES="4096"),
                       instance_path=str(instance))
    make_tenant("acme")
    response = small.test_client().post(
        "/api/v1/tenants/acme/requests", content_type="application/json",
        data=json.dumps({"type": "access", "email": "a@example.com", "details": "x" * 5000}))
    assert response.status_code == 413 and "4,096 bytes" in response.get_json()["error"]["message"]
