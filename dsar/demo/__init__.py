"""`dsar demo`: a complete demo tenant to try every feature on (idempotent)."""
from __future__ import annotations

from sqlalchemy import select

from dsar.extensions import db
from dsar.models import Tenant, User
from dsar.services.staff import create_user
from dsar.services.tenants import TenantSpec, create_tenant

DEMO_SLUG = "demo"
DEMO_DPO_EMAIL = "dpo@demo.example"
#: A local demo only: printed on every run so nobody has to guess it.
DEMO_DPO_PASSWORD = "demo-privacy-2026"


def create_demo() -> list[str]:
    """Create what is missing of the demo tenant; return lines to show the operator."""
    lines = []
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == DEMO_SLUG)).scalar_one_or_none()
    if tenant is None:
        tenant = create_tenant(TenantSpec(
            slug=DEMO_SLUG, name="Parlo Chat (demo)", regime="uk_gdpr", country="GB",
            policy_days=30, grace_days=30, dpo_email=DEMO_DPO_EMAIL), actor="demo")
        lines.append(f"Created demo tenant '{DEMO_SLUG}'.")
    else:
        lines.append(f"Demo tenant '{DEMO_SLUG}' already exists.")
    if db.session.execute(select(User).where(User.email == DEMO_DPO_EMAIL)).scalar_one_or_none() is None:
        create_user(DEMO_DPO_EMAIL, "Dana Privacy (DPO)", DEMO_DPO_PASSWORD, tenant, "dpo", actor="demo")
    db.session.commit()
    lines.append(f"DPO sign-in: {DEMO_DPO_EMAIL} / {DEMO_DPO_PASSWORD}")
    return lines
