"""Reports: §7102 figures per year and type, charts, and the §7101 register as CSV."""
from __future__ import annotations

from flask import Response, g, render_template, request

from dsar.dashboard import bp
from dsar.models import utcnow
from dsar.reports import charts, figures


def _year() -> int:
    value = request.args.get("year", "")
    return int(value) if value.isdigit() and 1970 <= int(value) <= 9999 else utcnow().year


@bp.get("/reports")
def report():
    year = _year()
    weeks = figures.weekly_counts(g.tenant.id, year)
    attainment = figures.deadline_attainment(g.tenant.id, year)
    years = sorted(set(figures.years_with_requests(g.tenant.id)) | {utcnow().year, year}, reverse=True)
    return render_template(
        "dashboard/reports.html", year=year, years=years, metrics=figures.metrics(g.tenant.id, year),
        weekly_chart=charts.weekly_by_type(weeks), attainment_chart=charts.attainment_by_month(attainment),
        attainment=attainment, colours=charts.TYPE_COLOURS, months=charts.MONTHS)


@bp.get("/reports/register.csv")
def register_csv():
    year = request.args.get("year", "")
    chosen = int(year) if year.isdigit() else None
    entries = figures.register(g.tenant.id, chosen)
    name = f"{g.tenant.slug}-request-register{'-' + str(chosen) if chosen else ''}.csv"
    return Response(figures.register_csv(entries), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
