"""Who may see and do what in the dashboard, for which tenant.

Roles per tenant (``Membership.role``): ``admin``, ``dpo``, ``agent``, ``auditor``. Each view
declares the permission it needs with :func:`requires`; a view that changes something and
declares nothing is refused (fail closed). Auditors read everything of their tenant and
change nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from dsar.auth import two_factor
from dsar.auth import session as staff_session
from dsar.dashboard import bp
from dsar.errors import NotFound
from dsar.extensions import db, login_manager
from dsar.models import Membership, RightsRequest, Tenant
from dsar.web.security_headers import no_store
from dsar.services import lifecycle

#: Permission -> roles that hold it (configuration is data).
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset({"admin", "dpo", "agent", "auditor"}),
    "work": frozenset({"admin", "dpo", "agent"}),        # request actions, manual entry, tasks
    "legal_hold": frozenset({"admin", "dpo"}),
    "run_jobs": frozenset({"admin", "dpo"}),
    "manage": frozenset({"admin", "dpo"}),               # settings, users, API tokens
}

F = TypeVar("F", bound=Callable)


def requires(permission: str) -> Callable[[F], F]:
    """Declare the permission a view needs (checked before it runs, by ``_guard``)."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def mark(view: F) -> F:
        view.dashboard_permission = permission  # type: ignore[attr-defined]
        return view

    return mark


def can(permission: str) -> bool:
    """For templates: show a form only to those who may send it."""
    return g.get("role") in PERMISSIONS[permission]


def actor() -> str:
    """How the signed-in user appears in the audit trail."""
    return f"user:{current_user.id}"


@bp.before_request
def _guard():
    no_store()
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if two_factor.required_for(current_user) and not session.get("mfa"):
        if current_user.totp_enabled:  # enrolled, but this session never passed a code
            staff_session.end(everywhere=False)
            flash("Please sign in again with your two-factor code.")
            return redirect(url_for("auth.login"))
        flash("Your role needs two-factor sign-in: set it up to continue.")
        return redirect(url_for("auth.two_factor"))
    membership = _current_membership()
    if membership is None:
        return render_template("dashboard/no_tenant.html"), 403
    g.membership, g.role = membership, membership.role
    g.tenant = db.session.get(Tenant, membership.tenant_id)
    g.memberships = sorted(current_user.memberships, key=lambda m: m.tenant_id)
    g.tenant_names = dict(db.session.execute(
        select(Tenant.id, Tenant.name).where(Tenant.id.in_([m.tenant_id for m in g.memberships]))).all())
    view = current_app.view_functions.get(request.endpoint)
    permission = getattr(view, "dashboard_permission", None)
    if permission is None:
        permission = "read" if request.method in ("GET", "HEAD") else None
    if permission is None or not can(permission):
        abort(403)
    return None


def _current_membership() -> Membership | None:
    memberships = sorted(current_user.memberships, key=lambda m: m.tenant_id)
    chosen = next((m for m in memberships if m.tenant_id == session.get("tenant_id")), None)
    chosen = chosen or (memberships[0] if memberships else None)
    if chosen is not None:
        session["tenant_id"] = chosen.tenant_id
    return chosen


def switch_tenant(tenant_id: int) -> Tenant:
    """Work on another tenant the user is a member of; any other id is not found."""
    if not any(m.tenant_id == tenant_id for m in current_user.memberships):
        raise NotFound("no such tenant")
    session["tenant_id"] = tenant_id
    return db.session.get(Tenant, tenant_id)


def tenant_row(model, row_id: int):
    """A row of the current tenant by id, or 404 (missing and foreign look the same)."""
    row = db.session.get(model, row_id)
    if row is None or row.tenant_id != g.tenant.id:
        raise NotFound(f"no such {model.__name__.lower()}")
    return row


def request_by_reference(reference: str) -> RightsRequest:
    """A request of the current tenant by its reference, or 404."""
    found = lifecycle.find_request(reference, tenant_id=g.tenant.id)
    if found is None:
        raise NotFound(f"no request {reference}")
    return found


@bp.context_processor
def _template_helpers():
    return {"can": can, "tenant_names": g.get("tenant_names", {})}
