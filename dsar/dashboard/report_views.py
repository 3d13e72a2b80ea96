"""Reports: §7102 figures per year and type, charts, and the §7101 register as CSV."""
from __future__ import annotations

from flask import Response, g, render_template, request

from dsar.dashboard import bp
from dsar.models import utcnow
from dsar.reports import charts
from dsar.services import reports


def _year() -> int:
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and 1970 <= int(value) <= 9999 else utcnow().year


@bp.get("/reports")
def report():
    year = _year()
    weeks = reports.weekly_counts(g.tenant.id, year)
    attainment = reports.deadline_attainment(g.tenant.id, year)
    years = sorted(set(reports.years_with_requests(g.tenant.id)) | {utcnow().year, year}, reverse=True)
    return render_template(
        "dashboard/reports.html", year=year, years=years, metrics=reports.metrics(g.tenant.id, year),
        weekly_chart=charts.weekly_by_type(weeks), attainment_chart=charts.attainment_by_month(attainment),
        attainment=attainment, colours=charts.TYPE_COLOURS, months=charts.MONTHS)


@bp.get("/reports/register.csv")
def register_csv():
    year = request.args.get("year", "")
    chosen = int(year) if year.isdigit() else None
    entries = reports.register(g.tenant.id, chosen)
    name = f"{g.tenant.slug}-request-register{'-' + str(chosen) if chosen else ''}.csv"
    return Response(reports.register_csv(entries), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
