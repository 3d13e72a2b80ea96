"""The tenant's audit trail, filterable by request, with a check of its hash chain."""
from __future__ import annotations

from flask import g, render_template, request

from dsar.dashboard import audit_trail, bp
from dsar.dashboard.access import request_by_reference
from dsar.services.staff_members import actor_names, list_staff
from dsar.services.audit import verify_tenant_chain


@bp.get("/audit")
def audit():
    """``?request=REF`` filters; ``?verify=1`` checks the chain (a read: auditors may run it)."""
    reference = (request.args.get("request") or "").strip()
    found = request_by_reference(reference) if reference else None
    page = request.args.get("page", "1")
    listing = audit_trail.events(g.tenant.id, request_id=found.id if found else None,
                                 page=int(page) if page.isdigit() else 1)
    check = verify_tenant_chain(g.tenant.id) if request.args.get("verify") == "1" else None
    return render_template("dashboard/audit.html", listing=listing, reference=found.reference if found else "",
                           check=check, actors=actor_names(g.tenant.id),
                           names={member.user.id: member.user.name for member in list_staff(g.tenant.id)})
