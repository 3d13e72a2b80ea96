"""The file-store layer on a real S3 server (SeaweedFS) and on a local folder."""
from __future__ import annotations

import pytest

from dsar.datamap.model import Store
from dsar.files.stores import StoreUnavailable, UnsafeKey, open_store, safe_key
from tests.files.fixtures import put


def test_a_file_streams_in_chunks_and_has_a_size(file_store):
    data = bytes(range(256)) * 2000  # 512 kB: several chunks
    put(file_store, "calls/2026/one.wav", data)
    chunks = list(file_store.chunks("calls/2026/one.wav"))
    assert len(chunks) > 1 and b"".join(chunks) == data
    assert file_store.size("calls/2026/one.wav") == len(data)
    assert file_store.size("calls/2026/none.wav") is None
    with pytest.raises(FileNotFoundError):
        list(file_store.chunks("calls/2026/none.wav"))


def test_batch_delete_notes_missing_files_and_leaves_the_others(file_store):
    for key in ("a/1.txt", "a/2.txt", "b/3.txt", "keep.txt"):
        put(file_store, key, b"x")
    outcome = file_store.delete(["a/1.txt", "a/2.txt", "b/3.txt", "a/gone.txt", "nowhere/x.txt"])
    assert sorted(outcome.deleted) == ["a/1.txt", "a/2.txt", "b/3.txt"]
    assert sorted(outcome.missing) == ["a/gone.txt", "nowhere/x.txt"]
    assert file_store.size("keep.txt") == 1
    assert all(file_store.size(key) is None for key in ("a/1.txt", "a/2.txt", "b/3.txt"))
    again = file_store.delete(["a/1.txt"])  # idempotent: a second run only notes it
    assert (again.deleted, again.missing) == ((), ("a/1.txt",))


def test_an_existing_store_can_be_listed(file_store):
    file_store.check()


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../other", "a/../../b", "a//b", None])
def test_a_key_that_would_leave_the_store_is_refused(key):
    with pytest.raises(UnsafeKey):
        safe_key(key)


def test_a_missing_folder_cannot_be_listed(tmp_path):
    with pytest.raises(StoreUnavailable, match='file store "media" cannot be listed'):
        open_store(Store("media", f"file://{tmp_path}/nowhere")).check()


def test_a_missing_bucket_cannot_be_listed(seaweed):
    store = open_store(Store("media", "s3://no-such-bucket-here/x", tuple(seaweed.options.items())))
    with pytest.raises(StoreUnavailable, match='file store "media"'):
        store.check()


def test_an_endpoint_nobody_answers_names_the_store_not_the_secret():
    from tests.files.seaweed_server import _free_ports

    options = {"endpoint_url": f"http://127.0.0.1:{_free_ports(1)[0]}", "key": "k", "secret": "hidden-secret-value",
               "config_kwargs": {"connect_timeout": 1, "retries": {"max_attempts": 1}}}
    store = open_store(Store("media", "s3://dsar-tests", tuple(options.items())))
    with pytest.raises(StoreUnavailable, match='file store "media" failed while listing it') as caught:
        store.check()
    assert "hidden-secret-value" not in caught.value.message
