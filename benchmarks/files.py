"""Files at scale, on a real S3 server (SeaweedFS on loopback, as the tests start it).

* **Export memory**: one subject whose rows name N files of S bytes, exported as an access
  answer does (``subject_files`` → ``build_export_zip``; the ZIP is hashed as it streams
  instead of being encrypted to disk). Each size runs in a fresh process, so the
  resident-set high-water mark belongs to that export. (Not under tracemalloc: its own
  bookkeeping grew the RSS with the file size while Python's traced peak stayed flat.)
  The claim: memory stays flat as the files grow in number and in size.
* **Erasure of 10,000 files**: dsar's path — the journal records the files (committed),
  then deletes them through the store in batches, noting missing ones, closing entries —
  against the floor: the same deletions made directly with the store's batch delete call
  (``fs.rm(list)``, S3 DeleteObjects per 1,000 keys), in the same run.

``python -m benchmarks.files [--quick]``.
"""
from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

SIZES = ((100, 1 << 20), (1000, 1 << 20), (25, 16 << 20))  # (files, bytes each)
QUICK_SIZES = ((50, 256 << 10), (200, 256 << 10))
ERASED = 10_000
QUICK_ERASED = 2_000
SUBJECT = "heavy.user@example.com"

DATAMAP = """\
tenant: bench
stores:
  - name: media
    url: s3://{bucket}/{prefix}
    options: {{endpoint_url: "{endpoint}", key: "{key}", secret: "{secret}"}}
sources:
  - name: app
    url: "{url}"
    tables:
      - name: accounts
        primary_key: id
        identity: {{email: email}}
      - name: attachments
        primary_key: id
        link: {{account_id: accounts.id}}
        files: {{storage_key: media}}
"""


def _customer_db(url: str, files: int, prefix: str) -> None:
    engine = sa.create_engine(url)
    md = sa.MetaData()
    accounts = sa.Table("accounts", md, sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("email", sa.String(200), index=True))
    attachments = sa.Table("attachments", md, sa.Column("id", sa.Integer, primary_key=True),
                           sa.Column("account_id", sa.ForeignKey("accounts.id"), index=True),
                           sa.Column("storage_key", sa.String(300)))
    md.create_all(engine)
    with engine.begin() as connection:
        connection.execute(accounts.insert(), [{"id": 1, "email": SUBJECT}, {"id": 2, "email": "other@example.com"}])
        connection.execute(attachments.insert(), [{"id": i + 1, "account_id": 1, "storage_key": f"f/{i:06d}.bin"}
                                                  for i in range(files)])
    engine.dispose()


def _datamap(server, url: str, prefix: str):
    from dsar.datamap.loader import parse_datamap

    options = server.options
    return parse_datamap(DATAMAP.format(bucket=server.bucket, prefix=prefix, endpoint=options["endpoint_url"],
                                        key=options["key"], secret=options["secret"], url=url))


def _left(fs, root: str) -> list[str]:
    """Files still under ``root`` (SeaweedFS keeps emptied folders as entries)."""
    return [path for path in fs.find(root, refresh=True) if path.endswith(".bin")]


def _upload(fs, root: str, count: int, size: int) -> None:
    block = os.urandom(size)  # media do not compress: random bytes, as a recording would be
    for start in range(0, count, 50):  # bounded: 50 files in flight
        fs.pipe({f"{root}/f/{i:06d}.bin": block for i in range(start, min(start + 50, count))})


# --- export memory -----------------------------------------------------------------------------


def _export_child(datamap_text: str, queue) -> None:
    from dsar.datamap.loader import parse_datamap
    from dsar.files.access import subject_files
    from dsar.fulfilment.cover_letter import ExportContext
    from dsar.fulfilment.export_zip import build_export_zip

    datamap = parse_datamap(datamap_text)
    started = time.perf_counter()
    digest, total = hashlib.sha256(), 0
    context = ExportContext("REQ-BENCH", "Bench", datetime.now(timezone.utc), SUBJECT)
    for chunk in build_export_zip(context, [], files=subject_files(datamap, {"email": SUBJECT})):
        digest.update(chunk)
        total += len(chunk)
    seconds = time.perf_counter() - started
    queue.put((total, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))


def export_memory(server, sizes, work: Path) -> list[tuple]:
    import s3fs

    fs = s3fs.S3FileSystem(**server.options)
    results = []
    for count, size in sizes:
        prefix = f"export-{count}-{size}"
        url = f"sqlite:///{work / (prefix + '.db')}"
        _customer_db(url, count, prefix)
        _upload(fs, f"{server.bucket}/{prefix}", count, size)
        text = DATAMAP.format(bucket=server.bucket, prefix=prefix, endpoint=server.endpoint,
                              key=server.options["key"], secret=server.options["secret"], url=url)
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(target=_export_child, args=(text, queue))
        child.start()
        total, seconds, rss = queue.get()
        child.join()
        results.append((count, size, total, seconds, rss))
        fs.rm(f"{server.bucket}/{prefix}", recursive=True)
    return results


# --- erasure of files --------------------------------------------------------------------------


def erasure(server, count: int, work: Path) -> dict[str, float]:
    import s3fs

    from dsar import create_app
    from dsar.extensions import db
    from dsar.files.deletions import FileJournal
    from dsar.fulfilment.erasure import erase_subject
    from dsar.models import Tenant

    fs = s3fs.S3FileSystem(**server.options)
    url = f"sqlite:///{work / 'erasure.db'}"
    _customer_db(url, count, "erasure")
    datamap = _datamap(server, url, "erasure")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'dsar.db'}", "DSAR_SCHEDULER": "off"})
    figures = {}
    with app.app_context():
        db.create_all()
        tenant = Tenant(slug="bench", name="Bench", regime="gdpr", country="GB")
        db.session.add(tenant)
        db.session.commit()
        root = f"{server.bucket}/erasure"
        paths = [f"{root}/f/{i:06d}.bin" for i in range(count)]

        _upload(fs, root, count, 64)
        started = time.perf_counter()
        for start in range(0, count, 1000):
            fs.rm(paths[start:start + 1000])
        figures["floor"] = time.perf_counter() - started
        assert not _left(fs, root)

        _upload(fs, root, count, 64)
        journal = FileJournal(tenant.id, datamap, origin="bench")
        started = time.perf_counter()
        journal.finish()  # nothing open: the query an erasure starts with
        ids = journal.record([("media", f"f/{i:06d}.bin") for i in range(count)])
        done = journal.finish()
        figures["dsar_files"] = time.perf_counter() - started
        assert (len(ids), done.deleted, done.missing) == (count, count, 0), done
        assert not _left(fs, root)

        _upload(fs, root, count, 64)
        started = time.perf_counter()
        outcome = erase_subject(datamap, {"email": SUBJECT}, hash_key=b"k" * 32, now=datetime.now(timezone.utc),
                                files=FileJournal(tenant.id, datamap, origin="bench"))
        figures["dsar_erasure"] = time.perf_counter() - started
        assert outcome.files.deleted == count
    return figures


def report(quick: bool = False) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.files.seaweed_server import SeaweedServer

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = SeaweedServer(work / "seaweed").start()
        try:
            print("Files: export memory (one subject, files on SeaweedFS, ZIP streamed and hashed)")
            print("| files | bytes each | ZIP size | seconds | peak RSS (ru_maxrss) |")
            print("|---:|---:|---:|---:|---:|")
            for count, size, total, seconds, rss in export_memory(server, QUICK_SIZES if quick else SIZES, work):
                print(f"| {count:,} | {size / 2**20:.2f} MiB | {total / 2**20:,.0f} MiB | {seconds:.1f} | "
                      f"{rss / 2**20:.0f} MiB |")
            count = QUICK_ERASED if quick else ERASED
            figures = erasure(server, count, work)
            print()
            print(f"Files: erasure of {count:,} files on SeaweedFS")
            print("| path | seconds | floor / path |")
            print("|---|---:|---:|")
            print(f"| floor: fs.rm(list) directly, 1,000 keys per DeleteObjects | {figures['floor']:.2f} | 1.00 |")
            print(f"| dsar: journal, batch delete (noting missing files), entries closed | {figures['dsar_files']:.2f} | "
                  f"{figures['floor'] / figures['dsar_files']:.2f} |")
            print(f"| dsar: the whole erasure (plan, journal, rows deleted, files deleted) | "
                  f"{figures['dsar_erasure']:.2f} | {figures['floor'] / figures['dsar_erasure']:.2f} |")
        finally:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.files")
    parser.add_argument("--quick", action="store_true")
    report(parser.parse_args().quick)
