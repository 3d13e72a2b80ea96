"""The queue: the tenant's requests by target date, with filters, search and pages."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from dsar.dashboard import bp
from dsar.dashboard.access import requires, switch_tenant
from dsar.dashboard.deadline_badges import badge
from dsar.services.staff_members import list_staff
from dsar.domain.regimes import REGIME_CODES
from dsar.domain.request_states import REQUEST_TYPES
from dsar.errors import ValidationError
from dsar.keyring import keyring
from dsar.models import RightsRequest, utcnow
from dsar.services.notifications import public_url
from dsar.services.queue import STATUS_FILTERS, Page, queue as queue_of

FILTERS = ("status", "type", "regime", "assignee", "overdue", "q")


@bp.get("/")
def queue():
    args = {name: request.args.get(name, "").strip() for name in FILTERS}
    today = utcnow().date()
    error, page = None, Page(items=[], page=1, per_page=25, total=0)
    try:
        page = queue_of(
            g.tenant.id, status=args["status"] or None, type=args["type"] or None,
            regime=args["regime"] or None, assignee_id=_int(args["assignee"], "assignee"),
            overdue=True if args["overdue"] == "1" else None, search=args["q"] or None,
            today=today, page=_int(request.args.get("page", "1"), "page") or 1)
    except ValidationError as exc:
        error = exc
    staff = list_staff(g.tenant.id)
    return render_template(
        "dashboard/queue.html", page=page, args=args, filtered=any(args.values()), error=error,
        requesters={r.id: requester(r) for r in page.items},
        badge=lambda r: badge(r, today), statuses=STATUS_FILTERS, types=REQUEST_TYPES,
        regimes=REGIME_CODES, staff=staff, names={s.user.id: s.user.name for s in staff},
        portal_url=public_url("portal.portal", slug=g.tenant.slug),
        page_url=lambda n: url_for("dashboard.queue", **{k: v for k, v in args.items() if v}, page=n))


def requester(request: RightsRequest) -> str:
    """Who asked, for staff eyes: the name given, else the e-mail address, else a dash
    (identifiers erased after the record-keeping period)."""
    ring = keyring()
    return ring.decrypt_text(request.subject_name_enc) or ring.decrypt_text(request.subject_email_enc) or "—"


def _int(value: str | None, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(f"{field} must be a whole number", details={"field": field})
    return int(value)


@bp.post("/tenant")
@requires("read")
def switch():
    """Work on another of the user's tenants (any other id: 404)."""
    tenant = switch_tenant(_int(request.form.get("tenant_id", ""), "tenant_id") or 0)
    flash(f"You are now working on {tenant.name}.")
    return redirect(url_for("dashboard.queue"), code=303)
