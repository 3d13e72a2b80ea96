"""Helpers the fulfilment tests share (services, downloads, API, dashboard).

The fixtures they use (``customer_url``, ``sample``, ``datamap_dir``, ``acme``) are in
``tests/conftest.py``: the customer database follows the dsar database's leg, so each test
runs on SQLite *and* PostgreSQL on both sides.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path


from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import AuditEvent, Export, OutboxMessage, RightsRequest, Tenant
from dsar.services import exports, lifecycle

AUTHORITY = "Information Commissioner's Office https://ico.org.uk"


def write_datamap(datamap_dir: Path, text: str, name: str = "acme.yml") -> str:
    (datamap_dir / name).write_text(text, encoding="utf-8")
    return name


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
