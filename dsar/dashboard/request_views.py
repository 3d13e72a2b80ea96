"""A request's page, its action forms, its tasks, and manual entry of a request."""
from __future__ import annotations

from datetime import datetime

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from dsar.dashboard import bp, request_actions, request_page
from dsar.dashboard.access import actor, can, request_by_reference, requires, tenant_row
from dsar.dashboard.forms import ManualRequestForm
from dsar.dashboard.request_actions import ASSIGNABLE_ROLES, COMPLETE_OUTCOMES, DENIAL_TEMPLATES
from dsar.services.staff_members import actor_names, list_staff
from dsar.domain.deadlines import clock_start
from dsar.errors import DsarError
from dsar.web.form_errors import show_on_form
from dsar.models import Export, Task, utcnow
from dsar.services import audit, exports, fulfilment, identifiers, lifecycle
from dsar.services.intake import custom_identity_kinds
from dsar.web.unit_of_work import discard


@bp.get("/requests/<reference>")
def request_detail(reference: str):
    found = request_by_reference(reference)
    page = request_page.build(found)
    open_task = any(t.row.kind == "rectify" and t.row.done_at is None for t in page.tasks)
    return render_template(
        "dashboard/request.html", page=page, groups=request_actions.groups(found, open_task=open_task),
        words=lambda name: request_actions.words(found, name), denial_templates=DENIAL_TEMPLATES,
        outcomes=COMPLETE_OUTCOMES, actors=actor_names(g.tenant.id),
        assignees=[m for m in list_staff(g.tenant.id) if m.role in ASSIGNABLE_ROLES])


@bp.post("/requests/<reference>/actions/<name>")
@requires("work")
def request_action(reference: str, name: str):
    """Take one action from the page; what it did, or why not, comes back as a message."""
    found = request_by_reference(reference)
    needed = request_actions.permission(name)
    if needed is None:
        abort(404)
    if not can(needed):
        abort(403)
    try:
        flash(request_actions.run(found, name, request.form, actor()))
    except DsarError as exc:
        discard()
        _flash_error(exc)
    return redirect(url_for("dashboard.request_detail", reference=found.reference), code=303)


def _flash_error(exc: DsarError) -> None:
    field = (exc.details or {}).get("field")
    flash(f"{field.replace('_', ' ').capitalize()}: {exc.message}" if field else exc.message, "error")


@bp.post("/requests/<reference>/tasks/<int:task_id>/done")
@requires("work")
def task_done(reference: str, task_id: int):
    found = request_by_reference(reference)
    task = tenant_row(Task, task_id)
    if task.request_id != found.id:
        abort(404)
    try:
        fulfilment.close_task(task, actor(), request.form.get("note", ""))
        flash("Task done.")
    except DsarError as exc:
        discard()
        _flash_error(exc)
    return redirect(url_for("dashboard.request_detail", reference=found.reference, _anchor="tasks"), code=303)


@bp.route("/requests/new", methods=["GET", "POST"])
@requires("work")
def request_new():
    """A request received by post, phone or e-mail: the clock starts on the date received."""
    form = ManualRequestForm(regime=g.tenant.regime)
    custom = custom_identity_kinds(g.tenant)
    if request.method == "GET" and not form.received_on.data:
        form.received_on.data = utcnow().date()
    if form.validate_on_submit():
        try:
            created = lifecycle.enter_request(
                g.tenant, type=form.type.data, regime=form.regime.data, channel=form.channel.data,
                received_at=_received_at(form.received_on.data), actor=actor(),
                verified=form.verified.data, verification_reason=_text(form.verification_reason),
                subject=lifecycle.Subject(**{name: _text(getattr(form, name)) for name in SUBJECT_FIELDS}))
            # Staff typed them from a letter or a call: hints until confirmed with a reason.
            identifiers.record(created, {"phone": _text(form.phone), "customer_id": _text(form.customer_id),
                                         **_custom_identities(custom)})
            flash(f"Request {created.reference} recorded; its clock started on {created.received_at:%d %b %Y}.")
            return redirect(url_for("dashboard.request_detail", reference=created.reference), code=303)
        except DsarError as exc:
            discard()
            show_on_form(form, exc, fields=SERVICE_TO_FORM)
    return render_template("dashboard/request_new.html", form=form, identities=custom), 400 if form.errors else 200


def _custom_identities(kinds) -> dict[str, str]:
    """The data map's own identities typed on the form (``identity_<kind>``), trimmed."""
    return {kind: value[:200] for kind in kinds if (value := (request.form.get(f"identity_{kind}") or "").strip())}


SUBJECT_FIELDS = ("email", "name", "phone", "customer_id", "details")


def _text(field) -> str | None:
    return (field.data or "").strip() or None


#: The manual-entry service's field names → this form's.
SERVICE_TO_FORM = {"received_at": "received_on", "subject": "email"}


def _received_at(day) -> datetime:
    """Today: now. An earlier day: its start (``domain.deadlines.clock_start``)."""
    return clock_start(day, utcnow())


@bp.get("/requests/<reference>/exports/<int:export_id>")
def export_download(reference: str, export_id: int):
    """Staff download of a request's export (does not use up the subject's downloads)."""
    found = request_by_reference(reference)
    export = tenant_row(Export, export_id)
    if export.request_id != found.id or export.deleted_at is not None:
        abort(404)
    chunks = exports.export_chunks(export)  # Gone (410) when the file expired meanwhile
    audit.record(g.tenant.id, "export_downloaded", actor(), request=found, payload={"export_id": export.id})
    return Response(chunks, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{export.filename}"'})
