"""The download on a completed access request's status page: opened by the status link's
secret, counted toward the same limit as the e-mailed link, gone when the export is."""
from __future__ import annotations

import pytest

from dsar.extensions import db
from dsar.services.notifications import status_url
from tests.downloads.fixtures import events, make_request, only_export, open_zip
from tests.factories import fulfil  # commits: the test owns the unit of work



def _status_path(request) -> str:
    return status_url(request).removeprefix("http://localhost")


@pytest.mark.calendar
def test_the_status_page_offers_the_download_while_it_works(client, acme, sample):
    request = make_request(acme, "access")
    fulfil(request, "test")
    export = only_export(request)
    page = client.get(_status_path(request)).get_data(as_text=True)
    assert "Download my data" in page and "It can be used 3 more times." in page
    link = f"/r/{request.reference}/download?t={_status_path(request).split('t=')[1]}"
    assert link.replace("&", "&amp;") in page or link in page
    answer = client.get(link)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "manifest.json" in open_zip(answer.data).namelist()
    assert [e.payload["by"] for e in events(request, "export_downloaded")] == ["status page"]
    assert "It can be used 2 more times." in client.get(_status_path(request)).get_data(as_text=True)
    for _ in range(2):
        assert client.get(link).status_code == 200
    assert client.get(link).status_code == 410  # used up: the same limit as the e-mailed link
    db.session.expire_all()
    assert export.downloads == 3
    assert "Download my data" not in client.get(_status_path(request)).get_data(as_text=True)


@pytest.mark.calendar
def test_the_download_needs_the_status_secret(client, acme, sample):
    request = make_request(acme, "access")
    fulfil(request, "test")
    assert client.get(f"/r/{request.reference}/download?t=wrong").status_code == 404
    assert client.get(f"/r/{request.reference}/download").status_code == 404
    db.session.expire_all()
    assert only_export(request).downloads == 0


def test_no_download_on_a_request_without_an_export(client, acme):
    request = make_request(acme, "objection")
    page = client.get(_status_path(request)).get_data(as_text=True)
    assert "Download my data" not in page
    token = _status_path(request).split("t=")[1]
    assert client.get(f"/r/{request.reference}/download?t={token}").status_code == 410
