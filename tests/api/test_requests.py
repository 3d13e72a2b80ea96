"""The staff request API: every endpoint's good case, every bad input, tokens, tenant isolation."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from dsar.domain.deadlines import calendar_months_after, next_working_day
from dsar.extensions import db
from dsar.models import ApiToken, RightsRequest, utcnow
from dsar.services import lifecycle
from dsar.services.api_tokens import revoke_token
from tests.api.conftest import headers_for
from tests.clock import FromNow, resolve
from tests.factories import make_tenant


URL = "/api/v1/requests"
ACTIONS = ("verify", "approve", "deny", "pause", "resume", "extend", "fulfil", "cancel")
ENTRY = {"channel": "post", "received_at": "2025-01-31", "type": "access",
         "subject": {"email": "Ada@Example.com", "name": "Ada Lovelace", "phone": "+44 20 7946 0000"}}


def enter(client, auth, **changes) -> dict:
    response = client.post(URL, json={**ENTRY, **changes}, headers=auth)
    assert response.status_code == 201, response.json
    return response.json


def act(client, auth, reference, action, reason=None):
    return client.post(f"{URL}/{reference}/{action}", json={} if reason is None else {"reason": reason},
                       headers=auth)


def error_fields(response) -> dict:
    """The fields a 422 names: from the schema (``details.json``/``query``) or a service (``field``)."""
    details = response.json["error"]["details"]
    return details.get("json") or details.get("query") or {details.get("field"): True}


# --- manual entry ----------------------------------------------------------------------------------


@pytest.mark.calendar
def test_manual_entry_records_the_request_from_its_date_of_receipt(client, auth):
    response = client.post(URL, json=ENTRY, headers=auth)
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"{URL}/{body['reference']}")
    assert body["status"] == "unverified" and body["channel"] == "post" and body["regime"] == "gdpr"
    assert body["received_at"] == "2025-01-31T00:00:00+00:00"
    assert (body["due_date"], body["target_date"], body["extended_to"]) == ("2025-02-28", "2025-02-28", None)
    assert body["paused_days"] == 0 and body["overdue"] is True
    assert body["days_left"] == (date(2025, 2, 28) - utcnow().date()).days
    assert "subject" not in body and "ada" not in response.get_data(as_text=True).lower()
    for field in ("verified_at", "policy_date", "acknowledge_by", "completed_at", "outcome",
                  "denial_reason", "legal_hold"):
        assert field in body


@pytest.mark.calendar
def test_manual_entry_with_regime_datetime_and_staff_verification(client, auth):
    body = enter(client, auth, regime="ccpa", received_at="2025-01-02T16:30:00-08:00", type="erasure",
                 verified=True, verification_reason="matched the account's postal address")
    assert body["received_at"] == "2025-01-03T00:30:00+00:00"
    assert (body["regime"], body["status"]) == ("ccpa", "verified")
    # 3 Jan + 45 days = Mon 17 Feb: a working day in the tenant's country (GB), unlike the US.
    assert body["due_date"] == "2025-02-17" and body["acknowledge_by"] == "2025-01-17"
    assert body["verified_at"] is not None


@pytest.mark.calendar
def test_naive_datetime_is_utc(client, auth):
    assert enter(client, auth, received_at="2025-03-03T23:30:00")["received_at"] == "2025-03-03T23:30:00+00:00"


@pytest.mark.calendar
@pytest.mark.parametrize(("changes", "field"), [
    ({"received_at": "yesterday"}, "received_at"),
    ({"received_at": "2025-02-30"}, "received_at"),
    ({"received_at": 20250131}, "received_at"),
    ({"received_at": FromNow(days=30, form="iso")}, "received_at"),
    ({"received_at": FromNow(days=2, form="date")}, "received_at"),
    ({"received_at": None}, "received_at"),
    ({"type": "delete_everything"}, "type"),
    ({"regime": "hipaa"}, "regime"),
    ({"channel": "fax"}, "channel"),
    ({"channel": "portal"}, "channel"),
    ({"subject": {"email": "not-an-address"}}, "subject"),
    ({"subject": {"details": "someone called"}}, "subject"),
    ({"subject": "ada@example.com"}, "subject"),
    ({"verified": True}, "verification_reason"),
    ({"verified": "maybe"}, "verified"),
    ({"colour": "blue"}, "colour"),
])
def test_manual_entry_refuses_bad_input_naming_the_field(client, auth, changes, field):
    response = client.post(URL, json={**ENTRY, **resolve(changes)}, headers=auth)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in error_fields(response)
    assert db.session.query(RightsRequest).count() == 0


@pytest.mark.parametrize("missing", ["channel", "received_at", "type", "subject"])
def test_manual_entry_requires_its_fields(client, auth, missing):
    entry = {k: v for k, v in ENTRY.items() if k != missing}
    response = client.post(URL, json=entry, headers=auth)
    assert response.status_code == 422 and missing in error_fields(response)


def test_manual_entry_refuses_malformed_json(client, auth):
    response = client.post(URL, data='{"channel": "post",', content_type="application/json", headers=auth)
    assert response.status_code == 400
    assert response.json["error"]["details"] == {"json": ["Invalid JSON body."]}


# --- one request ---------------------------------------------------------------------------------------


def test_get_one_request_with_subject_and_events(client, auth):
    reference = enter(client, auth)["reference"]
    act(client, auth, reference, "verify", "ID seen")
    response = client.get(f"{URL}/{reference.lower()}", headers=auth)
    assert response.status_code == 200
    body = response.json
    assert body["reference"] == reference and body["status"] == "verified"
    assert body["subject"]["email"] == "Ada@Example.com" and body["subject"]["name"] == "Ada Lovelace"
    assert [(e["kind"], e["reason"]) for e in body["events"]] == [("request_received", None), ("verify", "ID seen")]
    assert all(e["actor"].startswith("token:") and e["at"] for e in body["events"])


def test_get_unknown_reference_is_404(client, auth):
    response = client.get(f"{URL}/DSR-0000-0000", headers=auth)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


# --- the queue ---------------------------------------------------------------------------------------


@pytest.mark.calendar
def test_queue_lists_by_target_date_with_pages(client, auth):
    late = enter(client, auth, received_at="2025-03-01")["reference"]
    early = enter(client, auth, received_at="2025-01-31")["reference"]
    middle = enter(client, auth, received_at="2025-02-10")["reference"]
    body = client.get(f"{URL}?per_page=2", headers=auth).json
    assert [i["reference"] for i in body["items"]] == [early, middle]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 2, 3, 2)
    second = client.get(f"{URL}?per_page=2&page=2", headers=auth).json
    assert [i["reference"] for i in second["items"]] == [late]
    assert client.get(f"{URL}?page=9", headers=auth).json["items"] == []
    assert all("subject" not in item for item in body["items"])


@pytest.mark.calendar
def test_queue_filters(client, auth, tenant):
    erasure = enter(client, auth, type="erasure", received_at="2025-03-01")["reference"]
    access = enter(client, auth)["reference"]
    act(client, auth, erasure, "verify", "ID seen")
    recent = lifecycle.enter_request(tenant, type="access", channel="email", received_at=utcnow(),
                                     subject=lifecycle.Subject(email="new@example.com"), actor="test")
    db.session.commit()

    def listed(query):
        response = client.get(f"{URL}?{query}", headers=auth)
        assert response.status_code == 200
        return {i["reference"] for i in response.json["items"]}

    assert listed("status=verified") == {erasure}
    assert listed("type=erasure") == {erasure}
    assert listed("status=unverified&type=access") == {access, recent.reference}
    assert listed("overdue=true") == {erasure, access}
    assert listed("overdue=false") == {recent.reference}
    assert listed("search=new@example.com") == {recent.reference}
    assert listed("regime=ccpa") == set()


@pytest.mark.parametrize(("query", "field"), [
    ("status=lost", "status"),
    ("type=delete", "type"),
    ("regime=hipaa", "regime"),
    ("overdue=perhaps", "overdue"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=two", "page"),
    ("per_page=0", "per_page"),
    ("per_page=500", "per_page"),
    ("assignee_id=x", "assignee_id"),
])
def test_queue_refuses_bad_filters_naming_the_field(client, auth, query, field):
    response = client.get(f"{URL}?{query}", headers=auth)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["query"]


# --- actions -----------------------------------------------------------------------------------------


@pytest.mark.calendar
def test_the_working_path_verify_approve_pause_resume_extend(client, auth):
    today = utcnow().date()
    reference = enter(client, auth, received_at=today.isoformat())["reference"]
    assert act(client, auth, reference, "verify", "passport copy matches").json["status"] == "verified"
    assert act(client, auth, reference, "approve").json["status"] == "in_progress"
    paused = act(client, auth, reference, "pause", "which of the two accounts?").json
    assert paused["status"] == "paused" and paused["paused_at"] is not None
    resumed = act(client, auth, reference, "resume").json
    assert (resumed["status"], resumed["paused_days"]) == ("in_progress", 0)
    extended = act(client, auth, reference, "extend", "records in four systems").json
    assert extended["extended_to"] == next_working_day(calendar_months_after(today, 3), "GB").isoformat()
    assert extended["target_date"] == extended["extended_to"]
    assert extended["due_date"] == next_working_day(calendar_months_after(today, 1), "GB").isoformat()
    again = act(client, auth, reference, "extend", "more")
    assert again.status_code == 409 and "only one extension" in again.json["error"]["message"]


def test_deny_and_cancel_record_their_reasons(client, auth):
    denied = enter(client, auth)["reference"]
    body = act(client, auth, denied, "deny", "we hold no account for this person").json
    assert (body["status"], body["outcome"]) == ("denied", "denied")
    assert body["denial_reason"] == "we hold no account for this person" and body["completed_at"]
    cancelled = enter(client, auth)["reference"]
    body = act(client, auth, cancelled, "cancel", "subject withdrew by phone").json
    assert (body["status"], body["outcome"]) == ("withdrawn", "withdrawn")


@pytest.mark.parametrize("action", ["verify", "deny", "pause", "extend", "cancel"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_missing_reason_is_422_naming_reason(client, auth, tenant, action, reason):
    reference = enter(client, auth, received_at=utcnow().date().isoformat())["reference"]
    if action == "pause":
        act(client, auth, reference, "verify", "ID seen")
    response = act(client, auth, reference, action, reason)
    assert response.status_code == 422, response.json
    assert response.json["error"]["details"]["field"] == "reason"


@pytest.mark.calendar
def test_action_not_allowed_now_is_409_in_words(client, auth):
    reference = enter(client, auth)["reference"]
    response = act(client, auth, reference, "approve")
    assert response.status_code == 409
    assert response.json["error"]["message"] == "cannot approve a request that is unverified (only when verified)"
    assert act(client, auth, reference, "resume").status_code == 409
    late = act(client, auth, reference, "extend", "complex")   # received 31 Jan 2025: long past
    assert late.status_code == 409 and "original deadline (2025-02-28)" in late.json["error"]["message"]


@pytest.mark.calendar
def test_regimes_without_pause_or_extension_refuse_them(client, token_for):
    lgpd = headers_for(token_for(make_tenant(regime="lgpd", country="BR")))
    reference = enter(client, lgpd, received_at=utcnow().date().isoformat())["reference"]
    act(client, lgpd, reference, "verify", "ID seen")
    for action in ("pause", "extend"):
        response = act(client, lgpd, reference, action, "need more time")
        assert response.status_code == 409 and "LGPD" in response.json["error"]["message"]
    ccpa = headers_for(token_for(make_tenant(regime="ccpa", country="US")))
    reference = enter(client, ccpa, received_at=utcnow().date().isoformat())["reference"]
    act(client, ccpa, reference, "verify", "ID seen")
    assert act(client, ccpa, reference, "pause", "need ID").status_code == 409
    assert act(client, ccpa, reference, "extend", "complex").json["extended_to"] is not None


def test_unknown_action_is_404(client, auth):
    reference = enter(client, auth)["reference"]
    response = act(client, auth, reference, "delete")
    assert response.status_code == 404 and "verify, approve" in response.json["error"]["message"]


@pytest.mark.calendar
def test_action_body_is_validated(client, auth):
    reference = enter(client, auth)["reference"]
    assert act_raw(client, auth, reference, "{oops").status_code == 400
    response = client.post(f"{URL}/{reference}/deny", json={"reason": "x" * 2001}, headers=auth)
    assert response.status_code == 422 and "reason" in response.json["error"]["details"]["json"]
    response = client.post(f"{URL}/{reference}/deny", json={"reasn": "typo"}, headers=auth)
    assert response.status_code == 422 and "reasn" in response.json["error"]["details"]["json"]


def act_raw(client, auth, reference, data):
    return client.post(f"{URL}/{reference}/verify", data=data, content_type="application/json", headers=auth)


def test_fulfil_does_what_the_request_asks(client, auth):
    reference = enter(client, auth, type="objection")["reference"]
    refused = act(client, auth, reference, "fulfil")
    assert refused.status_code == 409 and "unverified" in refused.json["error"]["message"]
    act(client, auth, reference, "verify", "ID seen")
    body = act(client, auth, reference, "fulfil").json
    assert (body["status"], body["outcome"]) == ("completed", "complied")


# --- tokens ------------------------------------------------------------------------------------------


def every_endpoint(reference: str):
    yield "get", URL, None
    yield "post", URL, ENTRY
    yield "get", f"{URL}/{reference}", None
    for action in ACTIONS:
        yield "post", f"{URL}/{reference}/{action}", {"reason": "because"}


def test_missing_invalid_or_revoked_token_is_401_everywhere(client, tenant, token_for):
    reference = lifecycle.create_request(tenant, type="access", subject=lifecycle.Subject(email="a@example.com")).reference
    revoked = token_for(tenant, "old")
    revoke_token(tenant, db.session.execute(select(ApiToken.id).where(ApiToken.prefix == revoked[:12])).scalar_one(),
                 actor="test")
    db.session.commit()
    for headers in ({}, {"Authorization": "Bearer dsar_nonsense"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer "}, headers_for(revoked)):
        for method, url, body in every_endpoint(reference):
            if url.endswith("/verify") and not headers.get("Authorization", "").startswith("Bearer "):
                continue  # without a bearer token this is the subject's public code verification
            response = getattr(client, method)(url, json=body, headers=headers)
            assert response.status_code == 401, (method, url, headers)
            assert response.json["error"]["code"] == "unauthorized"
    assert db.session.execute(select(RightsRequest.status)).scalar_one() == "unverified"


# --- tenant isolation --------------------------------------------------------------------------------


@pytest.mark.calendar
def test_another_tenants_request_is_404_like_a_missing_one_everywhere(client, auth, token_for):
    reference = enter(client, auth, received_at=utcnow().date().isoformat())["reference"]
    act(client, auth, reference, "verify", "ID seen")
    other = headers_for(token_for(make_tenant(regime="gdpr", country="FR")))
    for method, url, body in every_endpoint(reference):
        if url == URL:
            continue
        foreign = getattr(client, method)(url, json=body, headers=other)
        missing = getattr(client, method)(url.replace(reference, "DSR-0000-0000"), json=body, headers=other)
        assert foreign.status_code == missing.status_code == 404, url
        assert foreign.json["error"]["message"].replace(reference, "X") == \
            missing.json["error"]["message"].replace("DSR-0000-0000", "X")
        assert foreign.json["error"]["details"] == missing.json["error"]["details"]
    listed = client.get(URL, headers=other).json
    assert listed["items"] == [] and listed["total"] == 0
    assert client.get(f"{URL}?search={reference}", headers=other).json["total"] == 0
    assert client.get(f"{URL}?search=ada@example.com", headers=other).json["total"] == 0
    body = client.get(f"{URL}/{reference}", headers=auth).json
    assert body["status"] == "verified" and len(body["events"]) == 2   # untouched by the other tenant


def test_openapi_describes_the_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/requests", "/api/v1/requests/{reference}", "/api/v1/requests/{reference}/{action}"} <= set(paths)
    assert paths["/api/v1/requests"]["get"]["security"] == [{"bearer": []}]
    assert {"200", "401", "404", "409", "422"} <= set(paths["/api/v1/requests/{reference}/{action}"]["post"]["responses"])
