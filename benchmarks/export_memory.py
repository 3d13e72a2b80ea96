"""Export memory at scale: one subject with 10k / 100k / 1M rows, exported as the service does.

The pipeline is the one ``fulfil`` runs for an access request — ``exports.export_tables``
(discovery's streamed batches through the data map) → ``build_export_zip`` →
``write_encrypted`` — on an SQLite customer database. Each size runs in a fresh process, so
the resident-set high-water mark (RSS) belongs to that export alone; Python's own
allocations are traced as well (tracemalloc, which also slows the run: times are
indicative only). The claim under test: memory stays flat while the rows grow a
hundredfold.

``run()`` prints the table (``benchmarks/__main__.py`` may call it); standalone:
``python -m benchmarks.export_memory [--quick]``.
"""
from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (2_000, 20_000)
SUBJECT = "heavy.user@example.com"
DATAMAP = """\
tenant: bench
sources:
  - name: app
    url: "{url}"
    tables:
      - name: events
        primary_key: id
        identity: {{email: email}}
        categories: {{body: user.content}}
"""


@dataclass
class Result:
    rows: int
    zip_mb: float
    seconds: float
    traced_peak_mb: float
    rss_growth_mb: float


def _fill(url: str, rows: int) -> None:
    """``rows`` events of the subject, interleaved with as many of somebody else."""
    engine = sa.create_engine(url)
    md = sa.MetaData()
    events = sa.Table("events", md, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("email", sa.String(200), index=True), sa.Column("body", sa.Text),
                      sa.Column("created_at", sa.String(40)))
    md.create_all(engine)
    stamp = "2025-06-01T12:00:00"
    with engine.begin() as conn:
        for start in range(0, 2 * rows, 20_000):
            conn.execute(events.insert(), [
                {"id": i + 1, "email": SUBJECT if i % 2 == 0 else "someone.else@example.com",
                 "body": f"message {i} ({hashlib.sha1(str(i).encode()).hexdigest()}): Grüße from the chat widget",
                 "created_at": stamp}
                for i in range(start, min(start + 20_000, 2 * rows))])
    engine.dispose()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _measure(rows: int, folder: str) -> Result:
    """One export of the ``rows`` rows ``_fill`` wrote into ``folder``, in this (fresh) process."""
    from dsar.crypto import KeyRing, generate_key
    from dsar.datamap.loader import parse_datamap
    from dsar.datamap.sources import dispose_engines
    from dsar.fulfilment.cover_letter import ExportContext
    from dsar.fulfilment.encrypted_files import write_encrypted
    from dsar.fulfilment.export_zip import build_export_zip
    from dsar.services.exports import export_tables

    datamap = parse_datamap(DATAMAP.format(url=_url(folder)))
    context = ExportContext(reference="DSR-BENC-HMRK", tenant_name="Bench Ltd",
                            generated_at=datetime.now(timezone.utc), subject_label=SUBJECT)
    ring = KeyRing.from_config(generate_key(), "benchmark secret")
    counts: dict = {}
    rss_before = _rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    tables = export_tables(datamap, {"email": SUBJECT}, only_provided=False, counts=counts)
    size, _ = write_encrypted(Path(folder) / "export.zip.enc", build_export_zip(context, tables, spool_dir=folder),
                              ring)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dispose_engines()
    if counts[("app", "events")] != rows:
        raise RuntimeError(f"exported {counts[('app', 'events')]} rows, expected {rows}")
    return Result(rows, size / 1e6, seconds, peak / 1e6, max(0.0, _rss_mb() - rss_before))


def _child(rows: int, folder: str, queue) -> None:
    queue.put(_measure(rows, folder))


def measure(rows: int) -> Result:
    """``rows`` measured in a process of its own (spawned: nothing inherited), after the
    data was written by another one, so the RSS high-water mark is the export's alone."""
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="dsar-export-bench-") as folder:
        filler = context.Process(target=_fill, args=(_url(folder), rows))
        filler.start()
        filler.join()
        if filler.exitcode:
            raise RuntimeError(f"filling {rows:,} rows failed (exit {filler.exitcode})")
        queue = context.Queue()
        process = context.Process(target=_child, args=(rows, folder, queue))
        process.start()
        result = queue.get()
        process.join()
    return result


def _url(folder: str) -> str:
    return f"sqlite:///{folder}/customer.db"


def run(sizes: tuple[int, ...] = SIZES) -> list[Result]:
    """Measure every size and print the table; return the results."""
    print("export memory: one subject's rows → ZIP (JSON + CSV + letter + manifest) → encrypted file",
          flush=True)
    results = []
    for rows in sizes:
        results.append(measure(rows))
        print(f"  {rows:,} rows done", flush=True)
    print()
    print("| subject's rows | ZIP (MB) | time, traced (s) | Python peak (MB) | RSS growth (MB) |")
    print("|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.rows:,} | {r.zip_mb:.1f} | {r.seconds:.1f} | {r.traced_peak_mb:.2f} | {r.rss_growth_mb:.1f} |")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export_memory", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZES} rows instead of {SIZES}")
    args = parser.parse_args(argv)
    run(QUICK_SIZES if args.quick else SIZES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
