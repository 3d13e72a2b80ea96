"""The demo company keeps uploads and voice recordings in a file:// store under instance/:
an export of the tour's subject shows them and an erasure deletes them."""
from __future__ import annotations

import io
import wave
import zipfile
from datetime import datetime, timezone

import sqlalchemy as sa

from dsar.datamap.loader import load_datamap
from dsar.demo.activity import DEMO_SUBJECT
from dsar.demo.media import voice_recording
from dsar.files.access import subject_files
from dsar.files.deletions import FileJournal
from dsar.fulfilment.cover_letter import ExportContext
from dsar.fulfilment.erasure import erase_subject
from dsar.fulfilment.export_zip import build_export_zip
from dsar.models import Tenant
from dsar.extensions import db
from tests.downloads.fixtures import download_path, make_request
from tests.factories import fulfil  # commits: the test owns the unit of work

NOW = datetime(2026, 11, 18, 10, tzinfo=timezone.utc)


def test_a_generated_recording_is_a_short_valid_wav():
    with wave.open(io.BytesIO(voice_recording(0.5, seed=1))) as audio:
        assert (audio.getnchannels(), audio.getframerate(), audio.getnframes()) == (1, 8000, 4000)


def test_the_demo_subjects_files_are_exported_and_then_erased(cli, app, instance):
    assert cli.invoke(args=["demo"]).exit_code == 0
    datamap = load_datamap(instance / "datamaps" / "demo.yml")
    folder = instance / "demo_files"
    keys = {f"{p.relative_to(folder)}" for p in folder.rglob("*") if p.is_file()}
    assert any(key.endswith(".wav") for key in keys) and any(key.startswith("uploads/") for key in keys)
    identifiers = {"email": DEMO_SUBJECT}
    context = ExportContext("REQ-DEMO", "Parlo Chat", NOW, DEMO_SUBJECT)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(build_export_zip(context, [], files=subject_files(
        datamap, identifiers)))))
    exported = {name.removeprefix("files/media/") for name in archive.namelist() if name.startswith("files/")}
    assert exported and exported <= keys and any(key.endswith(".wav") for key in exported)
    tenant = db.session.execute(sa.select(Tenant).where(Tenant.slug == "demo")).scalar_one()
    outcome = erase_subject(datamap, identifiers, hash_key=b"k" * 32, now=NOW,
                            files=FileJournal(tenant.id, datamap, origin="erasure demo"))
    assert outcome.files.deleted == len(exported)
    left = {f"{p.relative_to(folder)}" for p in folder.rglob("*") if p.is_file()}
    assert left == keys - exported


def test_the_subjects_download_link_serves_their_recordings_and_uploads(cli, app, instance, client):
    """The whole path a subject takes: an access request fulfilled, the link in the message,
    the ZIP over HTTP with the very bytes the store holds, and none of another customer's."""
    assert cli.invoke(args=["demo"]).exit_code == 0
    tenant = db.session.execute(sa.select(Tenant).where(Tenant.slug == "demo")).scalar_one()
    folder = instance / "demo_files"
    theirs = {file.key for file in subject_files(load_datamap(instance / "datamaps" / "demo.yml"),
                                                  {"email": DEMO_SUBJECT})}
    request = make_request(tenant, "access", email=DEMO_SUBJECT)
    fulfil(request, "test")
    answer = client.get(download_path(request))
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    served = {name.removeprefix("files/media/"): archive.read(name)
              for name in archive.namelist() if name.startswith("files/media/")}
    assert set(served) == theirs and any(key.endswith(".wav") for key in served)
    for key, data in served.items():
        assert data == (folder / key).read_bytes()
