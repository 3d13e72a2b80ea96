"""Portal pages: thin — parse input, call a service, render."""
from __future__ import annotations

from flask import redirect, render_template, url_for

from dsar.portal import bp
from dsar.services.tenants import get_tenant, only_tenant


@bp.get("/")
def home():
    """A single-tenant deployment: `/` leads straight to its portal (SPEC §2)."""
    tenant = only_tenant()
    if tenant is None:
        return render_template("portal/no_tenant.html")
    return redirect(url_for("portal.portal", slug=tenant.slug))


@bp.get("/t/<slug>/")
def portal(slug: str):
    tenant = get_tenant(slug)
    return render_template("portal/portal.html", tenant=tenant)


@bp.post("/t/<slug>/requests")
def submit(slug: str):
    from dsar.errors import DsarError

    get_tenant(slug)
    raise DsarError("Online intake is not open yet.", code="not_implemented")
