"""Access and portability exports through ``fulfil`` (SPEC §6), on SQLite and PostgreSQL on
both sides: the dsar database and the customer database."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from dsar.crypto import token_hash
from dsar.errors import ConfigurationError, SourceUnavailable
from dsar.extensions import db
from dsar.jobs.registry import JobContext
from dsar.models import Export, RightsRequest, utcnow
from dsar.services import exports, lifecycle
from dsar.services.fulfilment import expire_exports
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.downloads.fixtures import (
    download_path, events, export_bytes, make_request, messages, only_export, open_zip, write_datamap)
from tests.factories import make_tenant
from tests.sample_app_db import TABLES, sample_datamap_yaml


UNREACHABLE = "postgresql+psycopg://app:hunter2@127.0.0.1:1/app"


def exported_ids(archive, table: str) -> set[int]:
    name = f"data/app/{table}.json"
    if name not in archive.namelist():
        return set()
    return {row["id"] for row in json.loads(archive.read(name))}


def all_text(archive) -> str:
    """Every member decompressed, as one lowercase text: what a leak would show up in."""
    return "\n".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist()).lower()


def test_access_export_holds_every_row_of_the_subject_and_nothing_of_anyone_else(acme, sample):
    alice = sample.subject("alice@example.com")
    request = make_request(acme, "access", email="ALICE@example.com")
    fulfil(request, "test")

    archive = open_zip(export_bytes(only_export(request)))
    for table in TABLES:
        assert exported_ids(archive, table) == alice.rows[table], table
    text = all_text(archive)
    for other in sample.others(alice):
        if other.email.lower() != alice.email:  # her namesake in business 7 shares the address
            assert other.email.lower() not in text
        if other.phone:
            assert other.phone not in text
    invoices = {row["number"] for row in json.loads(archive.read("data/app/invoices.json"))}
    assert invoices and all(number.lower() in text for number in invoices)
    namesake = sample.subject("alice@example.com", business_id=7)
    assert namesake.phone not in text  # the same e-mail in another business is someone else


def test_csv_and_json_carry_the_same_rows(acme, sample):
    alice = sample.subject("alice@example.com")
    request = make_request(acme, "access")
    fulfil(request, "test")
    archive = open_zip(export_bytes(only_export(request)))
    rows = list(csv.DictReader(io.StringIO(archive.read("data/app/messages.csv").decode("utf-8-sig"))))
    assert {int(row["id"]) for row in rows} == alice.rows["messages"]
    assert len(alice.rows["messages"]) > 500  # more than one batch went through


def test_manifest_hashes_and_counts_hold(acme, sample):
    request = make_request(acme, "access")
    fulfil(request, "test")
    archive = open_zip(export_bytes(only_export(request)))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["reference"] == request.reference
    files = {entry["path"]: entry for entry in manifest["files"]}
    data_members = {name for name in archive.namelist() if name.startswith("data/")}
    assert set(files) == data_members and data_members
    for path, entry in files.items():
        content = archive.read(path)
        assert hashlib.sha256(content).hexdigest() == entry["sha256"] and len(content) == entry["size"]
        if path.endswith(".json"):
            assert len(json.loads(content)) == entry["rows"]
    letter = archive.read("README.html")
    assert hashlib.sha256(letter).hexdigest() == manifest["cover_letter"]["sha256"]


@pytest.mark.calendar
def test_cover_letter_is_filled_from_the_data_map_and_the_tenant(acme, sample):
    request = make_request(acme, "access")
    fulfil(request, "test")
    letter = open_zip(export_bytes(only_export(request))).read("README.html").decode()
    assert "Providing the chat service you signed up for" in letter  # purposes
    assert "Stripe" in letter and "SendGrid" in letter  # recipients
    assert "User Contact Email" in letter and "Financial Data" in letter  # categories, by fideslang name
    assert "user.contact.email" not in letter and "user.financial" not in letter
    assert "Deleted 12 months after the message was sent." in letter  # retention in words
    assert "Deleted 7 years after the invoice was issued; until then it is kept even if you ask" in letter
    assert "created_at" not in letter and "issued_at" not in letter
    assert "Information Commissioner&#39;s Office" in letter and 'href="https://ico.org.uk"' in letter
    assert "privacy@acme.example" in letter and request.reference in letter


def test_portability_exports_only_what_the_subject_provided(acme, sample):
    alice = sample.subject("alice@example.com")
    request = make_request(acme, "portability")
    fulfil(request, "test")
    archive = open_zip(export_bytes(only_export(request)))
    # messages say provided_by_subject; tables found by an identity column default to it.
    provided = ("accounts", "messages", "support_tickets")
    assert sorted(name for name in archive.namelist() if name.startswith("data/")) == sorted(
        f"data/app/{table}.{ext}" for table in provided for ext in ("csv", "json"))
    for table in provided:
        assert exported_ids(archive, table) == alice.rows[table]
    letter = archive.read("README.html").decode()
    assert "invoices" not in letter and "widget_visits" not in letter


@pytest.mark.calendar
def test_completed_with_a_limited_link_told_to_the_subject(acme, sample):
    acme.settings = {**acme.settings, "export_days": 3, "export_max_downloads": 2}
    db.session.commit()
    before = utcnow()
    request = make_request(acme, "access")
    fulfil(request, "test")

    export = only_export(request)
    assert (request.status, request.outcome) == ("completed", "complied")
    assert before + timedelta(days=3) <= export.expires_at <= utcnow() + timedelta(days=3)
    assert (export.max_downloads, export.downloads, export.filename) == (2, 0, f"{request.reference}.zip")
    token = download_path(request).rsplit("/", 1)[1]
    assert export.download_token_hash == token_hash(token) and token not in export.download_token_hash
    result = request.result["export"]
    counts = {(t["source"], t["table"]): t["rows"] for t in result["tables"]}
    assert counts[("app", "messages")] == len(sample.subject("alice@example.com").rows["messages"])
    assert result["export_id"] == export.id


def test_encrypted_at_rest_under_the_tenants_folder(app, acme, sample):
    request = make_request(acme, "access")
    fulfil(request, "test")
    export = only_export(request)
    path = exports.export_path(export)
    assert path.parent == Path(app.config["DSAR_EXPORT_DIR"]) / str(acme.id)
    assert b"alice@example.com" not in path.read_bytes() and b"Hello from" not in path.read_bytes()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no pending or scratch file left


@pytest.mark.calendar
def test_a_source_that_is_down_leaves_the_request_in_progress_then_a_retry_succeeds(
        acme, sample, datamap_dir, monkeypatch):
    write_datamap(datamap_dir, sample_datamap_yaml("${ACME_APP_DB_URL}"))
    monkeypatch.setenv("ACME_APP_DB_URL", UNREACHABLE)
    request = make_request(acme, "access")

    with pytest.raises(SourceUnavailable) as caught:
        fulfil(request, "test")
    assert 'source "app" could not be reached' in caught.value.message
    db.session.expire_all()
    assert request.status == "in_progress" and request.outcome is None
    (failed,) = events(request, "fulfilment_failed")
    assert failed.payload == {"step": "access", "code": "source_unavailable", "source": "app"}
    assert "alice" not in json.dumps([failed.reason, failed.payload]).lower()
    assert "hunter2" not in failed.reason
    assert db.session.execute(db.select(Export)).first() is None and not messages(request, "export_ready")

    monkeypatch.setenv("ACME_APP_DB_URL", sample.url)
    fulfil(request, "test")
    assert request.status == "completed" and only_export(request).size > 0


@pytest.mark.calendar
def test_an_unwritable_export_dir_leaves_the_request_in_progress_then_a_retry_succeeds(app, acme, sample):
    blocker = Path(app.config["DSAR_EXPORT_DIR"])
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the export directory should be")  # refuses even root
    request = make_request(acme, "access")

    with pytest.raises(exports.ExportNotWritten) as caught:
        fulfil(request, "test")
    assert "DSAR_EXPORT_DIR" in caught.value.message
    db.session.expire_all()
    assert request.status == "in_progress"
    (failed,) = events(request, "fulfilment_failed")
    assert failed.payload["code"] == "export_not_written"

    blocker.unlink()
    fulfil(request, "test")
    assert request.status == "completed" and exports.export_path(only_export(request)).exists()


@pytest.mark.calendar
def test_a_tenant_without_a_data_map_is_told_how_to_add_one(app):
    tenant = make_tenant("nomap")
    request = make_request(tenant, "access")
    with pytest.raises(ConfigurationError) as caught:
        fulfil(request, "test")
    assert "this tenant has no data map yet; add one with" in caught.value.message
    db.session.expire_all()
    assert request.status == "in_progress" and events(request, "fulfilment_failed")


# --- expire-exports ----------------------------------------------------------------------------


def _expired_export(tenant, days_ago: int = 1) -> Export:
    request = make_request(tenant, "access")
    fulfil(request, "test")
    export = only_export(request)
    export.expires_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return export


@pytest.mark.calendar
def test_expire_exports_deletes_expired_files_idempotently(acme, sample):
    old = _expired_export(acme)
    current = make_request(acme, "portability")
    fulfil(current, "test")
    fresh = only_export(current)

    dry = JobContext(now=utcnow(), dry_run=True)
    expire_exports(dry)
    assert dry.stats == {"exports": 1} and exports.export_path(old).exists() and old.deleted_at is None

    ctx = JobContext(now=utcnow())
    expire_exports(ctx)
    db.session.expire_all()
    assert ctx.stats == {"exports": 1}
    assert not exports.export_path(old).exists() and old.deleted_at is not None
    assert exports.export_path(fresh).exists() and fresh.deleted_at is None

    again = JobContext(now=utcnow())
    expire_exports(again)
    assert again.stats == {"exports": 0}


@pytest.mark.calendar
def test_expire_exports_keeps_to_the_tenant_it_is_run_for(acme, sample):
    old = _expired_export(acme)
    other = make_tenant("other")
    ctx = JobContext(now=utcnow(), tenant_id=other.id)
    expire_exports(ctx)
    assert ctx.stats == {"exports": 0} and exports.export_path(old).exists()
    expire_exports(JobContext(now=utcnow(), tenant_id=acme.id))
    assert not exports.export_path(old).exists()


@pytest.mark.calendar
def test_expire_exports_resumes_when_the_file_is_already_gone(acme, sample):
    old = _expired_export(acme)
    exports.export_path(old).unlink()  # a crash after the file went, before the row was marked
    expire_exports(JobContext(now=utcnow()))
    db.session.expire_all()
    assert old.deleted_at is not None


@pytest.mark.calendar
def test_expire_exports_keeps_the_export_of_a_request_under_legal_hold(acme, sample):
    old = _expired_export(acme)
    request = db.session.get(RightsRequest, old.request_id)
    lifecycle.set_legal_hold(request, "user:1", on=True, reason="subject access dispute before the tribunal")
    db.session.commit()
    ctx = JobContext(now=utcnow())
    expire_exports(ctx)
    assert ctx.stats == {"exports": 0} and exports.export_path(old).exists()
    lifecycle.set_legal_hold(request, "user:1", on=False)
    db.session.commit()
    expire_exports(JobContext(now=utcnow()))
    assert not exports.export_path(old).exists()
