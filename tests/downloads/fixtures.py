"""Fixtures every fulfilment test shares (services, downloads, API), imported by each module.

(They live here because this folder is the fulfilment work stream's own; moving them to
``tests/conftest.py`` would need no change in the tests but the import.)

The customer database follows the dsar database's leg: on the ``sqlite`` leg the sample
application is an SQLite file, on the ``postgresql`` leg a fresh PostgreSQL database — so
each test runs on SQLite *and* PostgreSQL on both sides.
"""
from __future__ import annotations

import io
import re
import uuid
import zipfile
from pathlib import Path

import pytest

from dsar.datamap.sources import dispose_engines
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import AuditEvent, Export, OutboxMessage, RightsRequest, Tenant
from dsar.services import exports, lifecycle
from tests.factories import make_tenant
from tests.sample_app_db import SampleApp, create_sample_app, sample_datamap_yaml

AUTHORITY = "Information Commissioner's Office https://ico.org.uk"


@pytest.fixture
def customer_url(backend, tmp_path, request):
    """A fresh, empty customer database on the same kind of server as the dsar database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/customer_app.db"
        dispose_engines()
        return
    server = request.getfixturevalue("pg_server")
    name = f"customer_{uuid.uuid4().hex[:12]}"
    yield server.url_for(name)
    dispose_engines()
    server.drop(name)


@pytest.fixture
def sample(customer_url) -> SampleApp:
    return create_sample_app(customer_url)


@pytest.fixture
def datamap_dir(app) -> Path:
    path = Path(app.config["DSAR_DATAMAP_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_datamap(datamap_dir: Path, text: str, name: str = "acme.yml") -> str:
    (datamap_dir / name).write_text(text, encoding="utf-8")
    return name


@pytest.fixture
def acme(app, sample, datamap_dir) -> Tenant:
    """A tenant whose data map (a real YAML file in DSAR_DATAMAP_DIR) describes ``sample``."""
    tenant = make_tenant("acme", name="Acme Chat Ltd", datamap_path=write_datamap(
        datamap_dir, sample_datamap_yaml(sample.url)), dpo_email="dpo@acme.example")
    tenant.contact_email = "privacy@acme.example"
    tenant.settings = {"supervisory_authority": AUTHORITY}
    db.session.commit()
    return tenant


def make_request(tenant: Tenant, type: str, *, email: str | None = "alice@example.com", phone: str | None = None,
                 details: str | None = None, status: str = "verified") -> RightsRequest:
    """A request of ``tenant`` for the subject, verified by the subject (or left ``unverified``)."""
    request = lifecycle.create_request(tenant, type=type, subject=lifecycle.Subject(
        email=email, name="Alice", phone=phone, details=details))
    if status != "unverified":
        lifecycle.verify(request, "subject")
    if status == "in_progress":
        lifecycle.approve(request, "test")
    db.session.commit()
    return request


def events(request: RightsRequest, kind: str | None = None) -> list[AuditEvent]:
    found = lifecycle.timeline(request)
    return [event for event in found if kind is None or event.kind == kind]


def messages(request: RightsRequest, template: str) -> list[OutboxMessage]:
    return list(db.session.execute(db.select(OutboxMessage).where(
        OutboxMessage.request_id == request.id, OutboxMessage.template == template)).scalars())


def only_export(request: RightsRequest) -> Export:
    found = db.session.execute(db.select(Export).where(Export.request_id == request.id)).scalars().all()
    assert len(found) == 1
    return found[0]


def export_bytes(export: Export) -> bytes:
    return b"".join(exports.export_chunks(export))


def open_zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def download_path(request: RightsRequest) -> str:
    """The download link's path, as the subject finds it in the ``export_ready`` message."""
    (message,) = messages(request, "export_ready")
    found = re.search(r"http://localhost(/download/[A-Za-z0-9_-]+)", keyring().decrypt_text(message.body_text_enc))
    assert found, "the message carries no download link"
    return found.group(1)
