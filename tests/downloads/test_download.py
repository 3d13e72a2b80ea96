"""The subject's download link (SPEC §6): expiring, download-limited, 404 for a token never
issued, 410 Gone in words once it stopped working."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from dsar.extensions import db
from dsar.jobs.registry import JobContext
from dsar.models import utcnow
from dsar.services import exports
from dsar.services.fulfilment import expire_exports
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.downloads.fixtures import download_path, events, make_request, only_export, open_zip



def exported(acme, type: str = "access"):
    request = make_request(acme, type)
    fulfil(request, "test")
    return request, only_export(request), download_path(request)


@pytest.mark.calendar
def test_the_link_in_the_message_downloads_the_zip_and_counts(client, acme, sample):
    request, export, path = exported(acme)
    answer = client.get(path)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{request.reference}.zip"'
    assert answer.headers["Cache-Control"] == "no-store"
    assert int(answer.headers["Content-Length"]) == len(answer.data) == export.size
    assert json.loads(open_zip(answer.data).read("manifest.json"))["reference"] == request.reference
    db.session.expire_all()
    assert export.downloads == 1
    (event,) = events(request, "export_downloaded")
    assert event.actor == "subject" and event.payload["export_id"] == export.id


@pytest.mark.calendar
def test_the_link_stops_after_the_allowed_downloads(client, acme, sample):
    _, export, path = exported(acme)
    assert [client.get(path).status_code for _ in range(export.max_downloads)] == [200] * 3
    gone = client.get(path)
    assert gone.status_code == 410 and "does not work any more" in gone.get_data(as_text=True)
    db.session.expire_all()
    assert export.downloads == 3


@pytest.mark.calendar
def test_a_head_request_checks_the_link_without_using_it_up(client, acme, sample):
    _, export, path = exported(acme)
    assert client.head(path).status_code == 200
    db.session.expire_all()
    assert export.downloads == 0


@pytest.mark.calendar
def test_an_expired_link_is_gone(client, acme, sample):
    _, export, path = exported(acme)
    export.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    answer = client.get(path)
    assert answer.status_code == 410 and "expired" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert export.downloads == 0


@pytest.mark.calendar
def test_a_link_whose_file_was_deleted_is_gone(client, acme, sample):
    _, export, path = exported(acme)
    export.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    expire_exports(JobContext(now=utcnow()))
    assert client.get(path).status_code == 410


@pytest.mark.calendar
def test_a_missing_file_is_gone_and_not_counted(client, acme, sample):
    _, export, path = exported(acme)
    exports.export_path(export).unlink()
    assert client.get(path).status_code == 410
    db.session.expire_all()
    assert export.downloads == 0


def test_a_wrong_token_is_not_found(client, acme, sample):
    _, _, path = exported(acme)
    for wrong in (path[:-1] + ("A" if path[-1] != "A" else "B"), "/download/x", "/download/" + "a" * 43):
        answer = client.get(wrong)
        assert answer.status_code == 404 and "not known" in answer.get_data(as_text=True)
