"""The ``datamap`` command group (registered on the ``dsar`` CLI by the app)."""
from __future__ import annotations

from pathlib import Path

import click

from dsar.datamap.check import check_datamap


@click.group("datamap")
def datamap_cli() -> None:
    """Validate and explain tenants' data maps."""


@datamap_cli.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--offline", is_flag=True, help="Validate the file only; do not connect to the sources.")
def check_command(file: Path, offline: bool) -> None:
    """Validate FILE, explain every rule, and warn about missing indexes."""
    if not file.is_file():
        raise click.ClickException(f"{file}: no such file")
    report = check_datamap(file, offline=offline)
    click.echo(report.render(), nl=False)
    if not report.ok:
        raise SystemExit(1)
