"""Operations: the outbox, job runs, tenant settings and the data map check."""
from __future__ import annotations

import re
from pathlib import Path

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from sqlalchemy import or_, select

from dsar.dashboard import bp, tenant_config
from dsar.dashboard.access import actor, requires, tenant_row
from dsar.dashboard.forms import TYPE_LABELS, settings_form_class
from dsar.datamap.check import check_datamap
from dsar.errors import DsarError, ValidationError
from dsar.extensions import db
from dsar.web.form_errors import show_on_form
from dsar.jobs.registry import all_jobs
from dsar.jobs.runner import run_job
from dsar.jobs.scheduler import next_run, schedules
from dsar.keyring import keyring
from dsar.mail.outbox import readable_copy
from dsar.models import JobRun, OutboxMessage, RightsRequest, for_tenant, utcnow
from dsar.services.datamaps import datamap_file
from dsar.services.tenants import configuration_warnings
from dsar.web.unit_of_work import discard

PER_PAGE = 50


@bp.get("/outbox")
def outbox():
    status = request.args.get("status") or None
    query = (for_tenant(OutboxMessage, g.tenant.id).add_columns(RightsRequest.reference)
             .outerjoin(RightsRequest, RightsRequest.id == OutboxMessage.request_id)
             .order_by(OutboxMessage.id.desc()).limit(PER_PAGE))
    if status:
        query = query.where(OutboxMessage.status == status)
    ring = keyring()
    rows = [(message, ring.decrypt_text(message.to_enc), reference)
            for message, reference in db.session.execute(query).all()]
    return render_template("dashboard/outbox.html", messages=rows, status=status,
                           statuses=("pending", "sent", "failed", "kept"))


@bp.get("/outbox/<int:message_id>")
def outbox_message(message_id: int):
    """One message (plain-text part) without what acts for the recipient: a code or link
    read here would let staff verify, withdraw or download as the subject. Only an admin of
    a local deployment (outbox backend, nothing leaves the machine) sees them, marked."""
    message = tenant_row(OutboxMessage, message_id)
    reveal = g.role == "admin" and current_app.config["DSAR_MAIL_BACKEND"] == "outbox"
    copy = readable_copy(db.session, message, reveal=reveal)
    return render_template("dashboard/outbox_message.html", message=message,
                           to=keyring().decrypt_text(message.to_enc), body=linked(copy.text) if copy.text else None,
                           revealed=copy.revealed)


_URL = re.compile(r"https?://[^\s<>\[\]()\"']+")


def linked(text: str) -> Markup:
    """Plain text, escaped, with every web address a link (the trailing full stop of a
    sentence stays outside it)."""
    parts, last = [], 0
    for found in _URL.finditer(text):
        url = found.group(0).rstrip(".,;:!?")
        parts += [escape(text[last:found.start()]),
                  Markup('<a href="{0}">{0}</a>').format(url)]
        last = found.start() + len(url)
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


#: Jobs that run every few minutes and do nothing most times: hidden from the runs unless asked.
ROUTINE_JOBS = ("send-mail",)


@bp.get("/jobs")
def jobs():
    """The jobs with their next run, and recent runs: ``?job=NAME`` keeps one job's,
    ``?routine=1`` shows the routine ones (send-mail) too."""
    declared, error = all_jobs(), None
    name, routine = (request.args.get("job") or "").strip(), request.args.get("routine", "")
    if name and name not in declared:
        error, name = f"Job: there is no job {name!r}; choose one of the list", ""
    if routine not in ("", "0", "1"):
        error, routine = "Routine runs: tick the box or leave it empty", ""
    # The tenant's own runs, and the scheduled runs over every tenant (shown without their
    # counts and errors, which may concern other tenants).
    query = (select(JobRun).where(or_(JobRun.tenant_id == g.tenant.id, JobRun.tenant_id.is_(None)))
             .order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(PER_PAGE))
    if name:
        query = query.where(JobRun.job == name)
    elif routine != "1":
        query = query.where(JobRun.job.not_in(ROUTINE_JOBS))
    planned = schedules(current_app)
    now = utcnow()
    return render_template(
        "dashboard/jobs.html", jobs=declared, runs=db.session.execute(query).scalars().all(), error=error,
        job=name, routine=routine == "1", routine_jobs=ROUTINE_JOBS,
        next_runs={job: next_run(schedule, now) for job, schedule in planned.items()}), 400 if error else 200


@bp.post("/jobs/<name>/run")
@requires("run_jobs")
def job_run(name: str):
    if name not in all_jobs():
        abort(404)
    dry_run = request.form.get("dry_run") == "1"
    try:
        run = run_job(name, tenant_id=g.tenant.id, dry_run=dry_run, trigger="dashboard")
        flash(f"{name}{' (dry run)' if dry_run else ''}: {run.status}"
              + (f" — {run.error}" if run.error else "."))
    except DsarError as exc:
        discard()
        flash(f"{name}: {exc.message}", "error")
    return redirect(url_for("dashboard.jobs"), code=303)


@bp.get("/settings")
def settings():
    form = settings_form_class()(data=tenant_config.current_values(g.tenant))
    return _settings_page(form)


@bp.post("/settings")
@requires("manage")
def settings_save():
    form = settings_form_class()()
    valid = form.validate()
    # The service's rules too, even when a field is already wrong: every error at once.
    problems = {name: text for name, text in tenant_config.problems(g.tenant, form.data).items()
                if not getattr(getattr(form, name, None), "errors", None)}
    for name, text in problems.items():
        show_on_form(form, ValidationError(text, details={"field": name}))
    if valid and not problems:
        try:
            changed = tenant_config.update(g.tenant, form.data, actor())
            flash(f"Settings saved ({', '.join(changed)})." if changed else "Nothing changed.")
            return redirect(url_for("dashboard.settings"), code=303)
        except DsarError as exc:
            discard()
            show_on_form(form, exc)
    return _settings_page(form)


def _settings_page(form):
    return render_template("dashboard/settings.html", form=form, warnings=configuration_warnings(g.tenant),
                           datamap=g.tenant.datamap_path, verified_types=tenant_config.VERIFIED_TYPES,
                           type_labels=TYPE_LABELS), 400 if form.errors else 200


@bp.get("/datamap")
def datamap():
    path, online = datamap_file(g.tenant), request.args.get("online") == "1"
    report = check_datamap(path, offline=not online) if path else None
    # The file's name only: where it sits on the server's disk is no business of the tenant's.
    name = Path(path).name if path else None
    text = report.render().replace(str(path), name).replace(str(Path(path).parent) + "/", "") if report else None
    return render_template("dashboard/datamap.html", path=name, report=report, report_text=text, online=online)
