"""The access/portability package: one streamed ZIP, never whole in memory (SPEC §6).

Members, in order::

    data/<source>/<table>.json   a JSON array, one row object per line
    data/<source>/<table>.csv    the same rows; UTF-8 with BOM (so spreadsheets read accents), CRLF
    files/<store>/<key>          the subject's files (uploads, recordings), streamed from the store
    README.html                  the cover letter with the Art. 15 information
    manifest.json                reference, time, and per data file: rows, bytes, SHA-256

Only tables holding the subject get files; the others are named in the letter as searched
and empty, so the manifest lists exactly the files present. Checksums are computed while
the bytes stream, which is why the manifest comes last.

Rows arrive once, in batches (a database cursor cannot be rewound, and reading twice could
give two different answers). Each batch is written to the JSON member as it streams and to
the CSV spool, which is read back after the JSON member: a ``TemporarySpool``, sealed with
a throwaway key, so plaintext personal data never lands on disk.

This module knows nothing of Flask or databases: the caller turns the data map into
``ExportTable``s and ``ExportContext`` and sends the bytes wherever they go (usually
``encrypted_files.write_encrypted``).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any

from stream_zip import ZIP_32, ZIP_64, stream_zip

from dsar.errors import ValidationError
from dsar.fulfilment.cover_letter import ExportContext, TableSummary, render_cover_letter
from dsar.fulfilment.encrypted_files import TemporarySpool

__all__ = ["ExportContext", "ExportTable", "ExportedFile", "StoredFile", "build_export_zip"]

MANIFEST_FORMAT = "dsar-export"
MANIFEST_VERSION = 1
# Members are personal data: readable by the owner only, wherever they are unpacked.
_MODE = stat.S_IFREG | 0o600
# A source or table name becomes a path segment: no separators, control characters or
# leading dot (no member may escape data/ or hide itself), and none of the characters
# Windows refuses in file names (the subject must be able to unpack the archive).
_SAFE_NAME = re.compile(r'[^/\\\x00-\x1f.<>:"|?*][^/\\\x00-\x1f<>:"|?*]{0,127}')
_CSV_BOM = "\ufeff"
#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportTable:
    """One table's rows about the subject, as the caller reads them.

    ``batches`` is iterated once; each batch is a bounded list of rows whose values are
    JSON-safe (str, int, float, bool, None, lists and dicts of those). ``columns`` is the
    CSV header; every key of a row must be one of them.
    """

    source: str
    table: str
    columns: list[str]
    batches: Iterable[list[dict[str, Any]]]
    #: Internal columns left out of both files, e.g. the source's tenant scope (``business_id``).
    omit: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StoredFile:
    """One of the subject's files in a file store: ``chunks()`` streams its bytes and
    raises FileNotFoundError when the store no longer has it."""

    store: str
    key: str
    chunks: Callable[[], Iterable[bytes]]


@dataclass(frozen=True)
class ExportedFile:
    """A manifest entry: a data file as it was actually written."""

    path: str
    rows: int
    size: int
    sha256: str


@dataclass
class _Ledger:
    """What has streamed so far; the letter and the manifest are written from it."""

    files: list[ExportedFile] = field(default_factory=list)
    tables: list[TableSummary] = field(default_factory=list)
    cover_letter: dict[str, Any] = field(default_factory=dict)
    stored: list[dict[str, Any]] = field(default_factory=list)  # the subject's files, as written
    _claimed: set[tuple[str, str]] = field(default_factory=set)

    def store_totals(self) -> list[tuple[str, int, int]]:
        """(store, files, bytes) of the files written, for the letter."""
        totals: dict[str, list[int]] = {}
        for entry in self.stored:
            if not entry.get("missing"):
                total = totals.setdefault(entry["store"], [0, 0])
                total[0], total[1] = total[0] + 1, total[1] + entry["size"]
        return [(store, count, size) for store, (count, size) in totals.items()]

    def claim(self, table: ExportTable) -> str:
        """The member path prefix for ``table``, once its names are checked and unique."""
        for kind, name in (("source", table.source), ("table", table.table)):
            if not _SAFE_NAME.fullmatch(name):
                raise ValidationError(f"{kind} name {name!r} cannot be used as a file name")
        key = (table.source, table.table)
        if key in self._claimed:
            raise ValidationError(f"table {table.source}/{table.table} is exported twice")
        self._claimed.add(key)
        return f"data/{table.source}/{table.table}"


@dataclass
class _RowCount:
    rows: int = 0


def build_export_zip(
    context: ExportContext,
    tables: Iterable[ExportTable],
    *,
    spool_dir: str | None = None,
    files: Iterable[StoredFile] = (),
) -> Iterator[bytes]:
    """Stream the export ZIP for ``context`` with the rows of ``tables``.

    Lazy: nothing is read until the result is iterated, and memory stays bounded by one
    batch and one ZIP chunk however many rows there are. ``spool_dir`` is where the sealed
    CSV scratch file goes (default: the system temporary directory). ``files`` are the
    subject's stored files, each streamed chunk by chunk (never whole) under ``files/``.
    """
    if context.generated_at.tzinfo is None:
        raise ValidationError("generated_at must be timezone-aware")
    ledger = _Ledger()
    return iter(stream_zip(_members(context, tables, ledger, spool_dir, files), get_compressobj=_compressor))


def _compressor() -> Any:
    # Level 6, zlib's default: level 9 costs several times the CPU for a few percent.
    return zlib.compressobj(level=6, wbits=-zlib.MAX_WBITS)


def _members(
    context: ExportContext, tables: Iterable[ExportTable], ledger: _Ledger, spool_dir: str | None,
    files: Iterable[StoredFile] = (),
) -> Iterator[tuple]:
    """The ZIP members as stream_zip wants them, each produced only when its turn comes.

    stream_zip drains one member before asking for the next, so by the time a later member
    is built, the ledger holds everything before it.
    """
    at = context.generated_at
    for table in tables:
        base = ledger.claim(table)
        batches = (batch for batch in table.batches if batch)
        first = next(batches, None)
        if first is None:
            ledger.tables.append(TableSummary(table.source, table.table, 0))
            continue
        count = _RowCount()
        json_path, csv_path = base + ".json", base + ".csv"
        with TemporarySpool(spool_dir) as spool:
            rows = _without(chain([first], batches), table.omit)
            json_chunks = _json_and_csv(rows, [c for c in table.columns if c not in table.omit], spool, count)
            yield json_path, at, _MODE, ZIP_64, _recorded(json_chunks, json_path, count, ledger)
            yield csv_path, at, _MODE, ZIP_64, _recorded(spool.iter_chunks(), csv_path, count, ledger)
        ledger.tables.append(TableSummary(table.source, table.table, count.rows, (json_path, csv_path)))
    yield from _file_members(files, ledger, at)
    yield "README.html", at, _MODE, ZIP_32, _cover_letter(context, ledger)
    yield "manifest.json", at, _MODE, ZIP_32, _later(lambda: _manifest(context, ledger))


# A store's key may hold what a file name may not (``calls/2026-01-31T10:00.wav``, ``../x``).
_UNSAFE_CHAR = re.compile(r'[\\\x00-\x1f<>:"|?*]')


def file_member_path(store: str, key: str, taken: set[str] = frozenset()) -> str:
    """Where a stored file goes in the archive: ``files/<store>/<key>``, with each part of the key
    made a name every system unpacks (refused characters become ``_``; an empty part, or one
    starting with a dot, gets a ``_`` in front). A key changed that way, or colliding with a path
    already ``taken``, ends in a short hash of the key itself, so two keys never share a member.
    The manifest keeps the store's own key beside the path."""
    parts = [_safe_part(part) for part in key.split("/")]
    path = "/".join(["files", store, *parts])
    if path == f"files/{store}/{key}" and path not in taken:
        return path
    stem, dot, extension = parts[-1].rpartition(".")
    mark = hashlib.sha256(key.encode()).hexdigest()[:8]
    parts[-1] = f"{stem}~{mark}.{extension}" if dot and stem else f"{parts[-1]}~{mark}"
    return "/".join(["files", store, *parts])


def _safe_part(part: str) -> str:
    part = _UNSAFE_CHAR.sub("_", part)[:120]
    if not part or part.startswith("."):
        part = "_" + part
    return part + "_" if part[-1] in ". " else part


def _without(batches: Iterable[list[dict[str, Any]]], omit: frozenset[str]) -> Iterator[list[dict[str, Any]]]:
    for batch in batches:
        yield [{k: v for k, v in row.items() if k not in omit} for row in batch] if omit else batch
def _file_members(files: Iterable[StoredFile], ledger: _Ledger, at: datetime) -> Iterator[tuple]:
    """``files/<store>/<key>`` per stored file, each read once, in bounded chunks; a file the
    store no longer has is listed as missing in the manifest instead."""
    seen: set[tuple[str, str]] = set()
    taken: set[str] = set()
    for stored in files:
        if (stored.store, stored.key) in seen:
            continue  # two rows may name the same file
        seen.add((stored.store, stored.key))
        if not _SAFE_NAME.fullmatch(stored.store):
            raise ValidationError(f"file store name {stored.store!r} cannot be used as a folder name")
        path = file_member_path(stored.store, stored.key, taken)
        taken.add(path)
        chunks = iter(stored.chunks())
        try:
            first = next(chunks, b"")
        except FileNotFoundError:
            ledger.stored.append({"path": path, "store": stored.store, "key": stored.key, "missing": True})
            continue

        def done(size: int, sha: str, stored=stored, path=path) -> None:
            ledger.stored.append({"path": path, "store": stored.store, "key": stored.key, "size": size,
                                  "sha256": sha})

        yield path, at, _MODE, ZIP_64, _digested(chain([first], chunks), done)


def _digested(chunks: Iterable[bytes], done: Callable[[int, str], None]) -> Iterator[bytes]:
    """Pass ``chunks`` through, then report their total size and SHA-256 hex."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    done(size, digest.hexdigest())


def _recorded(chunks: Iterable[bytes], path: str, count: _RowCount, ledger: _Ledger) -> Iterator[bytes]:
    # The row count is read when the member ends: for the JSON file it is only known then.
    return _digested(
        chunks, lambda size, sha: ledger.files.append(ExportedFile(path, count.rows, size, sha))
    )


def _later(make: Callable[[], bytes]) -> Iterator[bytes]:
    """A member whose bytes are computed only when stream_zip reaches it."""
    yield make()


def _cover_letter(context: ExportContext, ledger: _Ledger) -> Iterator[bytes]:
    def done(size: int, sha: str) -> None:
        ledger.cover_letter.update(path="README.html", size=size, sha256=sha)

    html = _later(lambda: render_cover_letter(
        context, ledger.tables, ledger.store_totals(),
        sum(1 for entry in ledger.stored if entry.get("missing"))).encode("utf-8"))
    return _digested(html, done)


def _json_and_csv(
    batches: Iterable[list[dict[str, Any]]], columns: list[str], spool: TemporarySpool, count: _RowCount
) -> Iterator[bytes]:
    """Yield the JSON array batch by batch, writing the same rows to the CSV spool.

    ``batches`` is non-empty, so the output is ``[`` + one object per line + ``]``.
    """
    spool.write(_csv_text([], columns, header=True).encode("utf-8"))
    yield b"["
    separator = "\n"
    for batch in batches:
        parts = []
        for row in batch:
            parts.append(separator + json.dumps(row, ensure_ascii=False, allow_nan=False))
            separator = ",\n"
        count.rows += len(batch)
        spool.write(_csv_text(batch, columns).encode("utf-8"))
        yield "".join(parts).encode("utf-8")
    yield b"\n]\n"


def _csv_text(rows: list[dict[str, Any]], columns: list[str], header: bool = False) -> str:
    """One batch as CSV text (a small per-batch buffer, never the whole file)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", extrasaction="raise")
    if header:
        buffer.write(_CSV_BOM)
        writer.writeheader()
    writer.writerows({key: _csv_cell(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    """A JSON-safe value as CSV text: empty for null, JSON for nested values.

    Text a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return) gets a leading ``'`` (OWASP "CSV injection"): the subject
    opens this file in a spreadsheet, and a value someone else typed into our systems must
    not run there. The JSON beside it keeps the raw value, losslessly.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, (int, float)):
        return json.dumps(value, allow_nan=False)
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _manifest(context: ExportContext, ledger: _Ledger) -> bytes:
    document = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "reference": context.reference,
        "controller": context.tenant_name,
        "generated_at": _iso(context.generated_at),
        "files": [asdict(entry) for entry in ledger.files],
        "stored_files": ledger.stored,
        "cover_letter": ledger.cover_letter,
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
