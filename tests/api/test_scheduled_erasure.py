"""A scheduled erasure is completed through the API only by running, or with a recorded
reason that leaves the outcome honest (SPEC §6): complied in part, or denied."""
from __future__ import annotations

import pytest

from dsar.extensions import db
from dsar.models import RightsRequest
from dsar.services import lifecycle
from tests.factories import make_request

URL = "/api/v1/requests"


@pytest.fixture
def scheduled(tenant) -> RightsRequest:
    request = make_request(tenant, type="erasure", status="in_progress")
    lifecycle.schedule_erasure(request, "test")
    db.session.commit()
    return request


def post(client, auth, request, action, **body):
    return client.post(f"{URL}/{request.reference}/{action}", json=body, headers=auth)


def test_complete_in_whole_is_refused_while_the_erasure_has_not_run(client, auth, scheduled):
    response = post(client, auth, scheduled, "complete")
    assert response.status_code == 409, response.json
    assert response.json["error"]["details"]["field"] == "outcome"
    assert "let it run" in response.json["error"]["message"]
    assert post(client, auth, scheduled, "complete", outcome="complied", reason="done").status_code == 409
    db.session.expire_all()
    assert (scheduled.status, scheduled.erasure_at is not None) == ("scheduled", True)


def test_complete_in_part_needs_a_reason_and_records_it(client, auth, scheduled):
    missing = post(client, auth, scheduled, "complete", outcome="complied_in_part")
    assert missing.status_code == 422 and missing.json["error"]["details"]["field"] == "reason"
    done = post(client, auth, scheduled, "complete", outcome="complied_in_part",
                reason="the CRM's backups cannot be erased before they expire")
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["outcome"]) == ("completed", "complied_in_part")
    db.session.expire_all()
    assert scheduled.erasure_at is None  # no erasure left pending


def test_a_scheduled_erasure_can_be_denied_with_a_reason(client, auth, scheduled):
    assert post(client, auth, scheduled, "deny").status_code == 422
    denied = post(client, auth, scheduled, "deny", reason="a legal claim is pending")
    assert (denied.json["status"], denied.json["outcome"]) == ("denied", "denied")


def test_the_outcome_field_is_checked(client, auth, scheduled):
    response = post(client, auth, scheduled, "complete", outcome="done")
    assert response.status_code == 422 and "outcome" in response.json["error"]["details"]["json"]


def test_complete_still_closes_a_request_in_progress(client, auth, tenant):
    request = make_request(tenant, type="objection", status="in_progress")
    body = post(client, auth, request, "complete").json
    assert (body["status"], body["outcome"]) == ("completed", "complied")
