"""``GET /api/v1/requests/<reference>/export``: the staff copy of a request's export, for the
token's tenant only (SPEC §8)."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from dsar.extensions import db
from dsar.jobs.registry import JobContext
from dsar.models import utcnow
from dsar.services.fulfilment import expire_exports
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.api.conftest import headers_for
from tests.downloads.fixtures import events, make_request, only_export, open_zip
from tests.factories import make_tenant



def url(request) -> str:
    return f"/api/v1/requests/{request.reference}/export"


@pytest.mark.calendar
def test_staff_download_the_zip_without_using_up_the_subjects_link(client, acme, sample, token_for):
    request = make_request(acme, "access")
    fulfil(request, "test")
    answer = client.get(url(request), headers=headers_for(token_for(acme)))
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{request.reference}.zip"'
    assert json.loads(open_zip(answer.data).read("manifest.json"))["reference"] == request.reference
    db.session.expire_all()
    assert only_export(request).downloads == 0
    (event,) = events(request, "export_downloaded")
    assert event.actor.startswith("token:") and event.payload["by"] == "staff"


def test_another_tenants_request_is_not_found_like_an_unknown_one(client, acme, sample, token_for):
    request = make_request(acme, "access")
    fulfil(request, "test")
    stranger = headers_for(token_for(make_tenant("stranger")))
    theirs = client.get(url(request), headers=stranger)
    unknown = client.get("/api/v1/requests/DSR-0000-0000/export", headers=stranger)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json["error"]["code"] == unknown.json["error"]["code"] == "not_found"
    assert theirs.mimetype == "application/json"
    assert theirs.json["error"]["message"] == f"no request {request.reference!r}"


def test_a_request_without_an_export_is_not_found(client, acme, sample, token_for):
    request = make_request(acme, "erasure")
    answer = client.get(url(request), headers=headers_for(token_for(acme)))
    assert answer.status_code == 404 and "has no export" in answer.json["error"]["message"]


@pytest.mark.calendar
def test_a_deleted_export_is_not_found(client, acme, sample, token_for):
    request = make_request(acme, "access")
    fulfil(request, "test")
    only_export(request).expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    expire_exports(JobContext(now=utcnow()))
    assert client.get(url(request), headers=headers_for(token_for(acme))).status_code == 404


def test_a_token_is_required(client, acme, sample):
    request = make_request(acme, "access")
    assert client.get(url(request)).status_code == 401


@pytest.mark.calendar
def test_fulfil_through_the_api_keeps_the_failure_event_and_answers_in_the_envelope(
        client, acme, sample, token_for, app):
    blocker = Path(app.instance_path) / "not-a-directory"
    blocker.write_text("a file where the export directory should be")
    app.config["DSAR_EXPORT_DIR"] = str(blocker)
    request = make_request(acme, "access")
    answer = client.post(f"/api/v1/requests/{request.reference}/fulfil", json={},
                         headers=headers_for(token_for(acme)))
    assert answer.status_code == 500 and answer.json["error"]["code"] == "export_not_written"
    db.session.expire_all()
    assert request.status == "in_progress" and events(request, "fulfilment_failed")
