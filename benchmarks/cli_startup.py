"""Wall time of `dsar` commands that need no web app (issue #15: under 0.5 s each).

``python -m benchmarks.cli_startup [--repeat N] [--source DIR]`` runs ``dsar --help``, a
group's help, ``dsar jobs list``, ``dsar datamap check --offline FILE`` and the two jobs that
send no message (``dsar jobs run retention`` / ``anonymize-ips`` on one tenant without a data
map: start-up and the run's records, no rows) as whole processes against a fresh SQLite
database, and prints the best and the median of N runs (best: the figure least disturbed by
other work on the machine) with the load average. ``--source DIR`` runs the ``dsar`` package
found in DIR instead (e.g. an older checkout, to compare). ``python -X importtime`` on the
same command line shows where the time goes.

The first line is the floor: a Python process that only imports Flask and Flask-SQLAlchemy
(with SQLAlchemy's ORM), which every command that reads the database needs. No such command
can start faster than that on the same machine.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEAT = 5
TARGET_SECONDS = 0.5
COMMANDS = (("--help",), ("jobs", "--help"), ("jobs", "list"), ("datamap", "check", "--offline", "{datamap}"),
            ("jobs", "run", "retention", "--tenant", "empty"), ("jobs", "run", "anonymize-ips", "--tenant", "empty"))
#: The floor: the decided stack's own imports, which any command reading the database needs.
FLOOR_CODE = "import flask, flask_sqlalchemy"
FLOOR_LABEL = f"floor: {FLOOR_CODE}"
#: Commands whose target is the whole process, not only start-up (they do the job's real work).
UNTARGETED = {"jobs run retention", "jobs run anonymize-ips"}


def _environment(workdir: Path, source: str | None) -> dict[str, str]:
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir),
               "DSAR_DATABASE_URL": f"sqlite:///{workdir / 'dsar.db'}", "DSAR_SCHEDULER": "off"}
    if source:
        environ["PYTHONPATH"] = source
    return environ


def _dsar(args: tuple[str, ...], environ: dict[str, str], workdir: Path, code: str | None = None) -> tuple[float, float]:
    """Seconds one ``dsar ARGS`` process takes (or one ``python -c CODE``), start to exit: wall
    time, and CPU time (user + system), which other work on a shared machine disturbs far less
    than the wall time."""
    command = [sys.executable, "-c", code or "from dsar.cli import main; main()", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=environ, cwd=workdir, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _prepare(workdir: Path, environ: dict[str, str]) -> Path:
    """An upgraded database with one tenant and the demo's data map, so each command does its real work."""
    for args in (("db", "upgrade"), ("tenants", "create", "empty", "--name", "Empty", "--regime", "gdpr",
                                    "--country", "DE")):
        subprocess.run([sys.executable, "-c", "from dsar.cli import main; main()", *args], env=environ,
                       cwd=workdir, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    datamap = workdir / "demo.yml"
    subprocess.run([sys.executable, "-c", "import sys\nfrom dsar.demo.sample_app import sample_datamap_yaml\n"
                    f"open({str(datamap)!r}, 'w').write(sample_datamap_yaml('sqlite:///{workdir}/app.db', "
                    "tenant='demo'))"], env=environ, cwd=workdir, check=True)
    return datamap


def measure(repeat: int = REPEAT, source: str | None = None) -> list[tuple[str, float, float, float]]:
    """(command line, best wall seconds, median wall seconds, median CPU seconds) per command."""
    with tempfile.TemporaryDirectory(prefix="dsar-cli-startup-") as directory:
        workdir = Path(directory)
        environ = _environment(workdir, source)
        datamap = _prepare(workdir, environ)
        results = [_summary(FLOOR_LABEL, [_dsar((), environ, workdir, code=FLOOR_CODE) for _ in range(repeat)])]
        for template in COMMANDS:
            args = tuple(arg.format(datamap=datamap) for arg in template)
            shown = " ".join(arg if arg != str(datamap) else "FILE" for arg in args)
            results.append(_summary(f"dsar {shown}", [_dsar(args, environ, workdir) for _ in range(repeat)]))
        return results


def _summary(label: str, runs: list[tuple[float, float]]) -> tuple[str, float, float, float]:
    walls = [wall for wall, _ in runs]
    return label, min(walls), statistics.median(walls), statistics.median(cpu for _, cpu in runs)


def report(repeat: int = REPEAT, source: str | None = None) -> None:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"CLI start-up, whole processes, best and median of {repeat} (target: under {TARGET_SECONDS} s; "
          f"load average before: {load})")
    print(f"{'command':48} {'best s':>8} {'median s':>9} {'CPU s':>7}")
    for command, best, median, cpu in measure(repeat, source):
        target = "" if command == FLOOR_LABEL or any(command.startswith(f"dsar {name}") for name in UNTARGETED) else \
            ("  ok" if median < TARGET_SECONDS else "  over")
        print(f"{command:48} {best:8.3f} {median:9.3f} {cpu:7.3f}{target}")
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli_startup", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=REPEAT, help=f"runs per command (default {REPEAT})")
    parser.add_argument("--source", help="a directory holding another dsar package to time instead")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    report(args.repeat, args.source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
