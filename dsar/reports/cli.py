"""`dsar report metrics`: the CCPA §7102 figures from the command line."""
from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext

from dsar.cli_base import DsarGroup

if TYPE_CHECKING:
    from dsar.reports import figures

report_cli = DsarGroup("report", help="Figures about requests (CCPA §7101–§7102).")

COLUMNS = ("type", "received", "complied", "complied_in_part", "denied", "withdrawn", "expired", "open",
           "median_days", "mean_days")


@report_cli.command("metrics")
@click.option("--tenant", "slug", help="Tenant slug (default: every tenant).")
@click.option("--year", type=click.IntRange(1970, 9999), help="Calendar year of receipt (default: this year).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True)
@with_appcontext
def metrics_command(slug, year, fmt):
    """Requests received, complied with in whole or in part, denied; median and mean days to respond."""
    from sqlalchemy import select  # start-up: `dsar report --help` loads no database

    from dsar.extensions import db  # start-up: `dsar report --help` loads no database
    from dsar.models import Tenant, utcnow  # start-up: `dsar report --help` loads no database
    from dsar.reports import figures  # start-up: `dsar report --help` loads no database
    from dsar.services.tenants import get_tenant  # start-up: `dsar report --help` loads no database

    year = year or utcnow().year
    tenants = [get_tenant(slug)] if slug else db.session.execute(select(Tenant).order_by(Tenant.slug)).scalars().all()
    if not tenants:
        raise click.ClickException("no tenants yet: create one with `dsar tenants create` or `dsar demo`")
    results = [(tenant, figures.metrics(tenant.id, year)) for tenant in tenants]
    click.echo({"text": _text, "json": _json, "csv": _csv}[fmt](results, year), nl=fmt == "text")


def _rows(result: figures.YearMetrics) -> list[figures.TypeMetrics]:
    return [*result.by_type, result.total]


def _text(results, year) -> str:
    lines = []
    for tenant, result in results:
        lines += [f"{tenant.slug} — requests received in {year}", ""]
        if not result.by_type:
            lines += ["  no requests received this year", ""]
            continue
        # Every ending has a column, so whole + part + denied + withdrawn + expired + open = received.
        header = (f"  {'type':18}{'received':>9}{'whole':>7}{'part':>6}{'denied':>8}{'withdrawn':>11}"
                  f"{'expired':>9}{'open':>6}{'median d':>10}{'mean d':>8}")
        lines.append(header)
        for row in _rows(result):
            lines.append(f"  {row.type:18}{row.received:>9}{row.complied:>7}{row.complied_in_part:>6}"
                         f"{row.denied:>8}{row.withdrawn:>11}{row.expired:>9}{row.open:>6}"
                         f"{_days(row.median_days):>10}{_days(row.mean_days):>8}")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _json(results, year) -> str:
    return json.dumps({"year": year, "tenants": [
        {"tenant": tenant.slug, "by_type": [r.as_dict() for r in result.by_type], "total": result.total.as_dict()}
        for tenant, result in results]}, indent=2) + "\n"


def _csv(results, year) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["tenant", "year", *COLUMNS])
    for tenant, result in results:
        for row in _rows(result):
            writer.writerow([tenant.slug, year, *("" if getattr(row, c) is None else getattr(row, c) for c in COLUMNS)])
    return buffer.getvalue()
