"""``python -m benchmarks [--quick] [--rows N] [--batch N] [--only retention]``: every
benchmark, each printed as a table.

``--quick`` is a smoke run (small sizes); ``--rows`` sets the retention tables' size
(default 3,000,000), ``--batch`` the retention batch size (DSAR_JOB_BATCH_SIZE);
``--only retention`` runs the retention benchmark alone. The file benchmarks
(``benchmarks/files.py``) run on a SeaweedFS server started for the run.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sqlite3
import sys

from benchmarks import retention


def machine() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            ram = int(meminfo.readline().split()[1]) / 1024 / 1024
    except OSError:
        ram = 0.0
    return (f"{os.cpu_count()} CPUs, {ram:.0f} GiB RAM, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--rows", type=int, help="rows per retention table (default 3,000,000; --quick 20,000)")
    parser.add_argument("--batch", type=int, default=retention.BATCH,
                        help=f"the most rows per retention batch (default {retention.BATCH:,}, as DSAR_JOB_BATCH_SIZE)")
    parser.add_argument("--repeat", type=int,
                        help="retention: runs of the floor and of dsar, taking turns; the fastest of each counts "
                             "(default 3; --quick 1)")
    parser.add_argument("--only", choices=["retention"], help="run one benchmark only")
    args = parser.parse_args(argv)
    for option, value, least in (("--rows", args.rows, 2), ("--batch", args.batch, 1), ("--repeat", args.repeat, 1)):
        if value is not None and value < least:
            parser.error(f"{option} must be at least {least}")
    print(machine(), flush=True)
    repeat = args.repeat or (1 if args.quick else 3)
    retention.report(args.rows or (20_000 if args.quick else 3_000_000), args.batch, repeat=repeat)
    if args.only == "retention":
        return 0
    if importlib.util.find_spec("benchmarks.export_memory") is not None:
        from benchmarks import export_memory

        print()
        export_memory.run(export_memory.QUICK_SIZES if args.quick else export_memory.SIZES)
    from benchmarks import files, intake_load, queue_page

    print()
    files.report(quick=args.quick)

    print()
    queue_page.report(rows=10_000 if args.quick else 100_000, repeat=5 if args.quick else 15)
    print()
    intake_load.report(seconds=5 if args.quick else 20)
    from benchmarks import cli_startup

    print()
    cli_startup.report(repeat=3 if args.quick else cli_startup.REPEAT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
