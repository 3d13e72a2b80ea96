"""Access and portability exports: made, kept encrypted, downloaded, expired (SPEC §6).

This module owns the ``Export`` records and their files; the package's format (the streamed
ZIP, its manifest and cover letter) is :mod:`dsar.fulfilment.export_zip`, which knows nothing
of Flask or databases.

The subject's rows are read from the tenant's own databases through the data map, streamed
into the ZIP and from there straight into an encrypted file under
``DSAR_EXPORT_DIR/<tenant id>/``: at no point is the package, or one table of it, whole in
memory. The file is written before any row of dsar's own database changes, so a long
export never holds a lock that portal visitors would wait on.

The subject downloads it through a link whose token is stored hashed; the link stops
working after ``export_days`` or ``export_max_downloads`` downloads (tenant settings), and
the ``expire-exports`` job deletes the file.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from dsar.crypto import KeyRing, new_token, token_hash
from dsar.datamap.model import DataMap
from dsar.datamap.sources import connect, reflect
from dsar.errors import ConfigurationError, DsarError, NotFound
from dsar.extensions import db
from dsar.fulfilment.article15 import Controller, access_answer
from dsar.files.access import subject_files
from dsar.fulfilment.cover_letter import ExportContext
from dsar.fulfilment.discovery import Identifiers, iter_rows, participating
from dsar.fulfilment.encrypted_files import iter_decrypted, write_encrypted
from dsar.fulfilment.export_zip import ExportTable, build_export_zip
from dsar.keyring import keyring
from dsar.models import Export, RightsRequest, Tenant, for_tenant, utcnow
from dsar.services.checkpoint import checkpoint
from dsar.services.lifecycle import Subject

#: Which tables each request type exports: portability only what the subject provided (Art. 20).
ONLY_PROVIDED = {"access": False, "portability": True}
EXPIRY_BATCH = 200


class Gone(DsarError):
    """A download link that worked once and does not any more (expired or used up)."""

    code = "gone"
    status = 410


class ExportNotWritten(ConfigurationError):
    """The export directory refused the file (missing, read-only, full disk...)."""

    code = "export_not_written"


@dataclass(frozen=True)
class MadeExport:
    export: Export
    token: str  # the download token, shown once in the subject's link, stored hashed
    tables: list[dict]  # [{"source", "table", "rows"}] for every table searched


# --- making an export ----------------------------------------------------------------------


def make_export(request: RightsRequest, tenant: Tenant, datamap: DataMap, subject: Subject,
                identifiers: Identifiers, *, now: datetime) -> MadeExport:
    """Write the request's export file, then add its Export row to the session.

    Raises SourceUnavailable for a source that is down and ExportNotWritten when the
    directory cannot take the file; in both cases nothing is left behind.
    """
    only_provided = ONLY_PROVIDED[request.type]
    counts: dict[tuple[str, str], int] = {}
    context = export_context(request, tenant, datamap, subject, now=now, only_provided=only_provided)
    directory = export_dir(tenant.id)
    pending = directory / f".pending-{new_token(12)}.zip.enc"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tables = export_tables(datamap, identifiers, only_provided=only_provided, counts=counts)
        files = subject_files(datamap, identifiers, only_provided=only_provided)
        size, sha256 = write_encrypted(pending, build_export_zip(context, tables, spool_dir=str(directory),
                                                                 files=files), keyring())
    except OSError as error:
        raise _not_written(error) from None
    token = new_token()
    export = Export(tenant_id=tenant.id, request_id=request.id, filename=f"{request.reference}.zip",
                    size=size, sha256=sha256, download_token_hash=token_hash(token), downloads=0,
                    max_downloads=int(tenant.setting("export_max_downloads")), created_at=now,
                    expires_at=now + timedelta(days=int(tenant.setting("export_days"))))
    db.session.add(export)
    db.session.flush()
    try:
        os.replace(pending, export_path(export))
    except OSError as error:
        pending.unlink(missing_ok=True)
        raise _not_written(error) from None
    searched = [{"source": source, "table": table, "rows": rows} for (source, table), rows in counts.items()]
    return MadeExport(export, token, searched)


def _not_written(error: OSError) -> ExportNotWritten:
    # strerror only: the file name says nothing useful and the message goes to the audit trail.
    return ExportNotWritten(
        f"the export could not be written to DSAR_EXPORT_DIR ({error.strerror or type(error).__name__}); "
        "make the directory writable and fulfil the request again", details={"errno": error.errno})


def export_tables(datamap: DataMap, identifiers: Identifiers, *, only_provided: bool,
                  counts: dict[tuple[str, str], int]) -> Iterator[ExportTable]:
    """Every table requests reach (or only ``provided_by_subject`` ones), as the ZIP reads them.

    Lazy: a source is connected to only when the ZIP reaches it, and ``counts`` fills in as
    the rows stream past.
    """
    for source in datamap.sources:
        names = [name for name in participating(source)
                 if not only_provided or source.table(name).provided_by_subject]
        if not names:
            continue
        with connect(source) as connection:
            columns = {name: [c.name for c in table.columns]
                       for name, table in reflect(connection, source, names).items()}
        for name in names:
            counts[(source.name, name)] = 0
            batches = _counted(iter_rows(source, name, identifiers), counts, (source.name, name))
            yield ExportTable(source.name, name, columns[name], batches,
                              omit=frozenset([source.scope.column] if source.scope else []))


def _counted(batches: Iterable[list[dict]], counts: dict, key: tuple[str, str]) -> Iterator[list[dict]]:
    for batch in batches:
        counts[key] += len(batch)
        yield batch


def export_context(request: RightsRequest, tenant: Tenant, datamap: DataMap, subject: Subject, *,
                   now: datetime, only_provided: bool) -> ExportContext:
    """The Art. 15 information of the cover letter, from the data map and the tenant's settings."""
    controller = Controller(name=tenant.name, regime=tenant.regime, contact=tenant.contact_email or tenant.dpo_email
                            or "", authority_setting=tenant.setting("supervisory_authority") or "",
                            retention_overrides=tenant.setting("retention_overrides") or {})
    return access_answer(datamap, controller, reference=request.reference, now=now, only_provided=only_provided,
                         subject_label=subject.email or subject.name or subject.phone
                         or f"customer {subject.customer_id}")


# --- where the files are -------------------------------------------------------------------


def export_dir(tenant_id: int) -> Path:
    return Path(current_app.config["DSAR_EXPORT_DIR"]) / str(int(tenant_id))


def export_path(export: Export) -> Path:
    return export_dir(export.tenant_id) / f"{export.id}.zip.enc"


def export_chunks(export: Export, ring: KeyRing | None = None) -> Iterator[bytes]:
    """The plaintext ZIP of ``export``, chunk by chunk (staff and subject downloads)."""
    if export.deleted_at is not None:
        raise Gone("this export was deleted when it expired")
    try:
        return iter_decrypted(export_path(export), ring or keyring())
    except FileNotFoundError:
        raise Gone("the export file is no longer there") from None


def latest_export(request: RightsRequest) -> Export:
    """The request's newest export whose file is still kept; NotFound otherwise."""
    export = db.session.execute(
        for_tenant(Export, request.tenant_id)
        .where(Export.request_id == request.id, Export.deleted_at.is_(None))
        .order_by(Export.id.desc()).limit(1)).scalar_one_or_none()
    if export is None:
        raise NotFound(f"request {request.reference} has no export to download", details={"field": "reference"})
    return export


# --- the subject's download link -------------------------------------------------------------


def find_download(token: str, *, now: datetime | None = None) -> Export:
    """The export the link ``token`` opens, without counting a download.

    NotFound for a token that never existed; Gone once the link expired, was used up or its
    file was deleted.
    """
    now = now or utcnow()
    export = db.session.execute(
        sa.select(Export).where(Export.download_token_hash == token_hash(token or ""))).scalar_one_or_none()
    if export is None:
        raise NotFound("this download link is not known")
    if export.deleted_at is not None or export.expires_at <= now:
        raise Gone("this download link has expired")
    if export.downloads >= export.max_downloads:
        raise Gone("this download link has been used as many times as it allows")
    return export


def claim_download(token: str, *, now: datetime | None = None) -> Export:
    """Count one download through the link ``token`` and return its export (errors as
    ``find_download``). The count is one conditional UPDATE, so two downloads racing for
    the last allowed one cannot both win."""
    now = now or utcnow()
    return claim_export(find_download(token, now=now), now=now)


def downloadable_export(request: RightsRequest, *, now: datetime | None = None) -> Export | None:
    """The request's newest export while its link still works (the subject's status page)."""
    now = now or utcnow()
    return db.session.execute(
        sa.select(Export).where(Export.tenant_id == request.tenant_id, Export.request_id == request.id,
                                Export.deleted_at.is_(None), Export.expires_at > now,
                                Export.downloads < Export.max_downloads)
        .order_by(Export.created_at.desc(), Export.id.desc()).limit(1)).scalar_one_or_none()


def claim_export(export: Export, *, now: datetime | None = None) -> Export:
    """Count one download of ``export``; Gone when it expired or was used up meanwhile."""
    now = now or utcnow()
    counted = db.session.execute(
        sa.update(Export).where(Export.id == export.id, Export.deleted_at.is_(None), Export.expires_at > now,
                                Export.downloads < Export.max_downloads)
        .values(downloads=Export.downloads + 1).execution_options(synchronize_session=False)).rowcount
    if not counted:
        raise Gone("this download link has been used as many times as it allows")
    db.session.refresh(export)
    return export


# --- expiry ----------------------------------------------------------------------------------


def expire_exports(now: datetime, *, tenant_id: int | None = None, dry_run: bool = False) -> int:
    """Delete the files of exports whose link expired and mark them deleted; return how many.

    In batches, each committed, so a crash resumes where it stopped; a file already gone
    (deleted before a crash) is not an error. The export of a request under a legal hold
    is kept until the hold is lifted (SPEC §7).
    """
    held = sa.select(RightsRequest.id).where(RightsRequest.legal_hold.is_(True))
    due = [Export.expires_at <= now, Export.deleted_at.is_(None), Export.request_id.not_in(held)]
    if tenant_id is not None:
        due.append(Export.tenant_id == tenant_id)
    if dry_run:
        return db.session.execute(sa.select(sa.func.count()).select_from(Export).where(*due)).scalar_one()
    done = 0
    while batch := db.session.execute(sa.select(Export).where(*due).order_by(Export.id)
                                      .limit(EXPIRY_BATCH)).scalars().all():
        for export in batch:
            export_path(export).unlink(missing_ok=True)
            export.deleted_at = now
        checkpoint("batch")
        done += len(batch)
    return done
