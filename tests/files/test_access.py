"""Access answers carry the subject's files (SPEC §6 "Files"): every file of the subject,
none of anyone else's, streamed under ``files/<store>/<key>`` and listed in the manifest
with size and SHA-256; on both databases and both kinds of store."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone

import pytest

from dsar.files.access import subject_files
from dsar.fulfilment.cover_letter import ExportContext
from dsar.fulfilment.export_zip import StoredFile, build_export_zip, file_member_path
from tests.files.media_app import create_media_app


@pytest.fixture
def media(source_url, file_store):
    return create_media_app(source_url, file_store)


def _export(media, subject, **kwargs) -> zipfile.ZipFile:
    context = ExportContext("REQ-1", "Acme", datetime(2026, 11, 18, 10, tzinfo=timezone.utc), subject.email)
    files = subject_files(media.datamap, subject.identifiers, **kwargs)
    return zipfile.ZipFile(io.BytesIO(b"".join(build_export_zip(context, [], files=files))))


def test_an_access_answer_holds_every_file_of_the_subject_and_none_of_another(media):
    subject = media.subjects[1]
    archive = _export(media, subject)
    names = {name.removeprefix("files/media/") for name in archive.namelist() if name.startswith("files/")}
    assert names == subject.files
    for key in names:
        assert archive.read(f"files/media/{key}") == f"{key} of {subject.email}".encode()
    manifest = json.loads(archive.read("manifest.json"))
    listed = {entry["key"]: entry for entry in manifest["stored_files"]}
    assert set(listed) == subject.files
    for key, entry in listed.items():
        data = archive.read(entry["path"])
        assert (entry["size"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    letter = archive.read("README.html").decode()
    assert '<section id="files">' in letter and "files/media" in letter


def test_a_file_the_store_no_longer_has_is_listed_as_missing(media):
    subject = media.subjects[0]
    gone = sorted(subject.files)[0]
    media.store.delete([gone])
    archive = _export(media, subject)
    assert f"files/media/{gone}" not in archive.namelist()
    manifest = json.loads(archive.read("manifest.json"))
    assert {"path": f"files/media/{gone}", "store": "media", "key": gone, "missing": True} in manifest["stored_files"]
    assert "1 file(s) our records name could not be found" in archive.read("README.html").decode()


def test_a_subject_without_files_gets_no_files_section(media):
    from dsar.fulfilment.export_zip import build_export_zip as build

    context = ExportContext("REQ-2", "Acme", datetime(2026, 11, 18, 10, tzinfo=timezone.utc), "nobody")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(build(context, [], files=subject_files(
        media.datamap, {"email": "nobody@example.com"})))))
    assert not [name for name in archive.namelist() if name.startswith("files/")]
    assert 'id="files"' not in archive.read("README.html").decode()


@pytest.mark.parametrize(("key", "member"), [
    ("recordings/call.wav", "files/media/recordings/call.wav"),
    ("calls/2026-01-31T10:00.wav", "files/media/calls/2026-01-31T10_00~77fbb837.wav"),
    ("../../etc/passwd", "files/media/_.._/_.._/etc/passwd~3754d6cb"),
    ("uploads//.profile", "files/media/uploads/_/_~2b804c78.profile"),
    ('a<b>"c"|d?*.txt', "files/media/a_b__c__d__~7386be04.txt"),
])
def test_a_key_no_file_name_can_hold_is_exported_under_a_safe_name(key, member):
    assert file_member_path("media", key) == member


def test_keys_made_alike_by_the_safe_names_stay_apart_and_the_manifest_keeps_each_key():
    keys = ["calls/a:b.wav", "calls/a_b.wav", "calls/a?b.wav"]
    context = ExportContext("REQ-3", "Acme", datetime(2026, 11, 18, 10, tzinfo=timezone.utc), "sam")
    files = [StoredFile("media", key, lambda key=key: [f"bytes of {key}".encode()]) for key in keys]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(build_export_zip(context, [], files=files))))
    listed = {entry["key"]: entry["path"] for entry in json.loads(archive.read("manifest.json"))["stored_files"]}
    assert set(listed) == set(keys) and len(set(listed.values())) == 3
    assert listed["calls/a_b.wav"] == "files/media/calls/a_b.wav"
    for key, path in listed.items():
        assert archive.read(path) == f"bytes of {key}".encode()
