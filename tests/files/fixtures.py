"""File-store fixtures: a SeaweedFS server per test session (per xdist worker), and a
fresh store per test — ``file://`` in a temporary folder or ``s3://`` in a new bucket."""
from __future__ import annotations

import uuid

import pytest

from dsar.datamap.model import Store
from dsar.files.stores import FileStore, open_store
from tests.files.seaweed_server import SeaweedServer

STORE_KINDS = ["file", "s3"]


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory):
    """SeaweedFS on loopback; the run fails (never skips) when it cannot start."""
    server = SeaweedServer(tmp_path_factory.mktemp("seaweed")).start()
    yield server
    server.stop()


def new_store(kind: str, request, tmp_path, name: str = "media") -> FileStore:
    """An empty store of ``kind`` named ``name``."""
    if kind == "file":
        folder = tmp_path / f"store-{name}"
        folder.mkdir()
        return open_store(Store(name, f"file://{folder}"))
    server = request.getfixturevalue("seaweed")
    # One bucket per server, a fresh prefix per store: every bucket is a SeaweedFS
    # collection with volumes of its own, which a small test server runs out of.
    return open_store(Store(name, f"s3://{server.bucket}/{uuid.uuid4().hex[:12]}/uploads",
                            tuple(server.options.items())))


@pytest.fixture(params=STORE_KINDS)
def file_store(request, tmp_path) -> FileStore:
    """An empty store, once as ``file://`` and once on SeaweedFS (``s3://``)."""
    return new_store(request.param, request, tmp_path)


def put(store: FileStore, key: str, data: bytes) -> None:
    path = store.path(key)
    if store.store.protocol == "file":
        store.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    store.fs.pipe_file(path, data)
