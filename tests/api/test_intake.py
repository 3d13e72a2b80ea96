"""The public intake API: 202 with a reference, the verify endpoint, and every bad input as a
4xx JSON envelope naming the field — never a 500."""
from __future__ import annotations

from datetime import timedelta

import pytest

from dsar.extensions import db
from dsar.models import VerificationChallenge, utcnow
from tests.factories import make_tenant
from tests.portal.helpers import all_requests, last_mail, mails, request_by_reference


VALID = {"type": "access", "email": "alice@example.com", "name": "Alice"}


@pytest.fixture
def acme(app):
    return make_tenant("acme", name="Acme Chat", regime="gdpr")


def _post(client, body, slug="acme", **kwargs):
    return client.post(f"/api/v1/tenants/{slug}/requests", json=body, **kwargs)


def test_a_request_is_accepted_and_the_message_sent(client, acme):
    response = _post(client, {**VALID, "regime": "ccpa", "language": "de", "phone": "+49 30 1234",
                              "agent": {"name": "Pat", "email": "pat@example.com", "relationship": "parent"}})
    assert response.status_code == 202
    reference = response.get_json()["reference"]
    assert response.get_json() == {"reference": reference, "status": "unverified"}
    request = request_by_reference(reference)
    assert (request.channel, request.regime, request.language, request.status) == ("api", "ccpa", "de", "unverified")
    assert [(m.row.template, m.to) for m in mails()] == [("verification", "alice@example.com")]


def test_the_language_defaults_to_accept_language(client, acme):
    reference = _post(client, VALID, headers={"Accept-Language": "es-ES,es;q=0.9"}).get_json()["reference"]
    assert request_by_reference(reference).language == "es"
    reference = _post(client, VALID, headers={"Accept-Language": "ja"}).get_json()["reference"]
    assert request_by_reference(reference).language == "en"


def test_the_endpoints_are_in_the_openapi_document(client, acme):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/tenants/{slug}/requests"]
    assert "post" in paths["/api/v1/requests/{reference}/verify"]


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.data
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.parametrize("body, field", [
    ({"type": "access", "name": "Alice"}, "email"),
    ({**VALID, "email": ""}, "email"),
    ({**VALID, "email": "alice"}, "email"),
    ({**VALID, "email": "alice@@example.com"}, "email"),
    ({**VALID, "email": "a" * 310 + "@example.com"}, "email"),
    ({**VALID, "email": 5}, "email"),
    ({**VALID, "email": None}, "email"),
    ({"email": "alice@example.com"}, "type"),
    ({**VALID, "type": "teleport"}, "type"),
    ({**VALID, "type": ["access"]}, "type"),
    ({**VALID, "regime": "mars"}, "regime"),
    ({**VALID, "regime": 1}, "regime"),
    ({**VALID, "language": "tlh"}, "language"),
    ({**VALID, "name": "n" * 201}, "name"),
    ({**VALID, "name": ["Alice"]}, "name"),
    ({**VALID, "phone": "1" * 41}, "phone"),
    ({**VALID, "customer_id": {"id": 1}}, "customer_id"),
    ({**VALID, "customer_id": "c" * 101}, "customer_id"),
    ({**VALID, "details": "d" * 5001}, "details"),
    ({**VALID, "type": "rectification"}, "details"),
    ({**VALID, "agent": "Pat"}, "agent"),
    ({**VALID, "agent": {"name": "Pat", "email": "pat@example.com"}}, "agent"),
    ({**VALID, "agent": {"name": "Pat", "email": "nope", "relationship": "parent"}}, "agent"),
    ({**VALID, "favourite_colour": "blue"}, "favourite_colour"),
])
def test_every_bad_field_is_a_422_naming_it(client, acme, body, field):
    error = _error(_post(client, body), 422)
    assert field in error["details"]["json"], error
    assert all_requests() == [] and mails() == []


NOT_OBJECTS = ["[]", '[{"type": "access", "email": "a@example.com"}]', '"access"', "5", "null", "true"]


@pytest.mark.parametrize("raw", NOT_OBJECTS)
def test_json_that_is_not_an_object_is_a_422(client, acme, raw):
    response = client.post("/api/v1/tenants/acme/requests", data=raw, content_type="application/json")
    error = _error(response, 422)
    assert error["details"]["json"]
    assert all_requests() == []


def test_malformed_json_is_a_400(client, acme):
    response = client.post("/api/v1/tenants/acme/requests", data='{"type": "access", "email": ',
                           content_type="application/json")
    error = _error(response, 400)
    assert "json" in error["details"]


def test_a_form_body_is_not_json(client, acme):
    error = _error(client.post("/api/v1/tenants/acme/requests", data=VALID), 415)
    assert error["details"] == {"field": "Content-Type"}


def test_an_unknown_tenant_is_a_404(client, acme):
    error = _error(_post(client, VALID, slug="nobody"), 404)
    assert error["details"] == {"field": "tenant"}


# --- verify ---------------------------------------------------------------------------------


def _submitted(client) -> tuple[str, str]:
    reference = _post(client, VALID).get_json()["reference"]
    return reference, last_mail("verification").code


def _verify(client, reference, body):
    return client.post(f"/api/v1/requests/{reference}/verify", json=body)


def test_the_right_code_verifies(client, acme):
    reference, code = _submitted(client)
    response = _verify(client, reference.lower(), {"code": code})
    assert response.status_code == 200
    body = response.get_json()
    assert body["reference"] == reference and body["status"] == "verified"
    assert body["status_url"].startswith(f"http://localhost/r/{reference}?t=")
    assert client.get(body["status_url"].removeprefix("http://localhost")).status_code == 200
    assert last_mail().row.template == "acknowledgement"


def test_a_wrong_code_says_how_many_attempts_are_left(client, acme):
    reference, code = _submitted(client)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    error = _error(_verify(client, reference, {"code": wrong}), 422)
    assert error["code"] == "wrong_code" and error["details"] == {"field": "code", "attempts_left": 4}
    for left in (3, 2, 1):
        assert _error(_verify(client, reference, {"code": wrong}), 422)["details"]["attempts_left"] == left
    dead = _error(_verify(client, reference, {"code": wrong}), 422)
    assert dead["code"] == "verification_failed"
    assert _error(_verify(client, reference, {"code": code}), 422)["code"] == "verification_failed"


@pytest.mark.calendar
def test_used_expired_and_unknown_all_answer_alike(client, acme):
    used_ref, used_code = _submitted(client)
    assert _verify(client, used_ref, {"code": used_code}).status_code == 200
    expired_ref, expired_code = _submitted(client)
    db.session.execute(VerificationChallenge.__table__.update()
                       .where(VerificationChallenge.request_id == request_by_reference(expired_ref).id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    answers = [_verify(client, used_ref, {"code": used_code}),
               _verify(client, expired_ref, {"code": expired_code}),
               _verify(client, "DSR-0000-0000", {"code": "123456"})]
    bodies = [_error(answer, 422) for answer in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["code"] == "verification_failed" and bodies[0]["details"] == {"field": "code"}


@pytest.mark.parametrize("body, field", [
    ({}, "code"),
    ({"code": ""}, "code"),
    ({"code": "12345"}, "code"),
    ({"code": "1234567"}, "code"),
    ({"code": 123456}, "code"),
    ({"code": "123456", "declaration": "perhaps"}, "declaration"),
    ({"code": "123456", "answers": ["phone"]}, "answers"),
    ({"code": "123456", "answers": {"phone": 5}}, "answers"),
    ({"code": "123456", "other": 1}, "other"),
])
def test_bad_verify_bodies_are_422_naming_the_field(client, acme, body, field):
    reference, _ = _submitted(client)
    error = _error(_verify(client, reference, body), 422)
    assert field in error["details"]["json"]
    assert request_by_reference(reference).challenges[0].attempts == 0  # no attempt spent


@pytest.mark.parametrize("raw", NOT_OBJECTS + ['"123456"', "{"])
def test_a_verify_body_that_is_not_an_object_is_refused(client, acme, raw):
    reference, _ = _submitted(client)
    response = client.post(f"/api/v1/requests/{reference}/verify", data=raw, content_type="application/json")
    assert _error(response, 400 if raw == "{" else 422)["details"]["json"]


def test_stronger_verification_through_the_api(client, acme):
    acme.settings = {"strong_verification": {"access": {"declaration": True}}}
    db.session.commit()
    reference, code = _submitted(client)
    error = _error(_verify(client, reference, {"code": code}), 422)
    assert error["code"] == "more_proof_needed" and error["details"]["declaration"] is True
    assert _verify(client, reference, {"code": code, "declaration": True}).status_code == 200


# --- the same path with a bearer token is staff's manual verification -----------------------


def test_with_a_bearer_token_verify_is_staffs_manual_verification(client, acme, token_for):
    from tests.api.conftest import headers_for

    reference, _ = _submitted(client)
    auth = headers_for(token_for(acme))
    missing = _error(client.post(f"/api/v1/requests/{reference}/verify", json={}, headers=auth), 422)
    assert missing["details"] == {"field": "reason"}
    response = client.post(f"/api/v1/requests/{reference}/verify", json={"reason": "ID seen at the desk"},
                           headers=auth)
    assert response.status_code == 200 and response.get_json()["status"] == "verified"
    assert "status_url" not in response.get_json()  # the staff answer, not the subject's
    other = headers_for(token_for(make_tenant("other")))
    reference, _ = _submitted(client)
    assert client.post(f"/api/v1/requests/{reference}/verify", json={"reason": "x"},
                       headers=other).status_code == 404
    assert client.post(f"/api/v1/requests/{reference}/verify", json={"reason": "x"},
                       headers={"Authorization": "Bearer wrong"}).status_code == 401
