"""``python -m benchmarks [--quick] [--rows N]``: every benchmark, printed as a table."""
from __future__ import annotations

import argparse
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
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 rows instead of 1,000,000 (a smoke run)")
    parser.add_argument("--rows", type=int, help="rows per table (overrides --quick)")
    args = parser.parse_args(argv)
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    print(f"retention benchmarks, {rows:,} rows per table; {machine()}", flush=True)
    results = retention.run(rows)
    print()
    print("| engine | work | rows changed | dsar (s) | floor: raw SQL (s) | dsar / floor |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.engine} | {r.work} | {r.changed:,} of {r.rows:,} | {r.dsar:.2f} | {r.floor:.2f} | {r.ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
