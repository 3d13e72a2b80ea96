"""`dsar demo`: a complete demo tenant to try every feature on (idempotent).

It makes the tenant "Parlo Chat" (UK GDPR, England's bank holidays, a 30-day policy promise), its DPO,
a customer database with three years of activity under ``instance/``, the data map that
describes it, and a handful of requests in different states so the queue is not empty.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from dsar.demo.activity import DEMO_SUBJECT, create_demo_app
from dsar.demo.media import create_demo_media, media_datamap_yaml
from dsar.demo.sample_app import sample_datamap_yaml
from dsar.extensions import db
from dsar.models import RightsRequest, Tenant, User, utcnow
from dsar.services import lifecycle
from dsar.services.staff_accounts import create_user
from dsar.services.tenants import TenantSpec, create_tenant

DEMO_SLUG = "demo"
DEMO_DPO_EMAIL = "dpo@demo.example"
#: A local demo only: printed on every run so nobody has to guess it.
DEMO_DPO_PASSWORD = "demo-privacy-2026"
DATAMAP_NAME = "demo.yml"
#: Where the demo's subjects may complain (the access letter names it).
DEMO_AUTHORITY = "Information Commissioner's Office, https://ico.org.uk/make-a-complaint/, telephone 0303 123 1113"

#: (days ago received, type, e-mail, steps) — the demo queue.
DEMO_REQUESTS = (
    (0, "rectification", "new.visitor@example.com", ()),
    (3, "access", DEMO_SUBJECT, ("verify", "approve")),
    (9, "erasure", "priya.shah1@example.com", ("verify",)),
    (16, "portability", "tomas.garcia2@example.com", ("verify", "approve", "pause")),
    (25, "objection", "mei.chen3@example.com", ("verify", "approve")),
    (41, "access", "jonas.berg4@example.com", ("verify", "approve")),
)


def create_demo() -> list[str]:
    """Create what is missing of the demo; return lines to show the operator."""
    lines = _customer_database()  # first: the tenant's data map is validated when it is created
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == DEMO_SLUG)).scalar_one_or_none()
    if tenant is None:
        tenant = create_tenant(TenantSpec(
            slug=DEMO_SLUG, name="Parlo Chat", regime="uk_gdpr", country="GB-ENG", policy_days=30, grace_days=14,
            datamap_path=DATAMAP_NAME, dpo_email=DEMO_DPO_EMAIL), actor="demo")
        tenant.contact_email = "privacy@parlo.example"
        tenant.settings = {"supervisory_authority": DEMO_AUTHORITY}
        lines.append(f"Created demo tenant '{DEMO_SLUG}' (Parlo Chat).")
    if db.session.execute(select(User).where(User.email == DEMO_DPO_EMAIL)).scalar_one_or_none() is None:
        # The admin role: with the local outbox backend only an admin sees the codes and links
        # of a subject's message, and the demo tour reads them there (README).
        create_user(DEMO_DPO_EMAIL, "Dana Privacy (DPO)", DEMO_DPO_PASSWORD, tenant, "admin", actor="demo")
    lines += _demo_requests(tenant)
    db.session.commit()
    base = current_app.config["DSAR_BASE_URL"].rstrip("/")
    lines += [f"Portal: {base}/t/{DEMO_SLUG}/   (try a request as {DEMO_SUBJECT})",
              f"DPO sign-in: {base}/login   {DEMO_DPO_EMAIL} / {DEMO_DPO_PASSWORD}",
              "  (the first sign-in sets up two-factor codes: scan the QR code, or use the command the page shows)"]
    return lines


def _customer_database() -> list[str]:
    """The demo company's own database and its data map, under instance/."""
    instance = Path(current_app.instance_path)
    database = instance / "demo_app.db"
    url = f"sqlite:///{database}"
    datamap_dir = Path(current_app.config["DSAR_DATAMAP_DIR"])
    datamap_dir.mkdir(parents=True, exist_ok=True)
    files = instance / "demo_files"
    (datamap_dir / DATAMAP_NAME).write_text(sample_datamap_yaml(url, tenant=DEMO_SLUG) + "".join(media_datamap_yaml(files)))
    if database.exists():
        written = create_demo_media(url, files, utcnow())  # a demo made before it had files gets them
        return ["Demo customer database already exists."] + (
            [f"Added {written} demo files (uploads, voice recordings) under {files}."] if written else [])
    instance.mkdir(parents=True, exist_ok=True)
    partial = database.with_suffix(".part")
    if partial.exists():
        partial.unlink()
    counts = create_demo_app(f"sqlite:///{partial}", now=utcnow())
    os.replace(partial, database)  # appears whole or not at all
    written = create_demo_media(url, files, utcnow())
    return [f"Created the demo customer database ({sum(counts.values()):,} rows in {len(counts)} tables), "
            f"with {written} files (uploads, voice recordings) under {files}."]


def _demo_requests(tenant: Tenant) -> list[str]:
    existing = db.session.execute(
        select(func.count()).select_from(RightsRequest).where(RightsRequest.tenant_id == tenant.id)).scalar_one()
    if existing:
        return []
    steps = {"verify": lambda r: lifecycle.verify(r, "system:demo", reason="Demo data: identity taken as proven"),
             "approve": lambda r: lifecycle.approve(r, "system:demo"),
             "pause": lambda r: lifecycle.pause(r, "system:demo", "Waiting for the subject to say which account")}
    for days, kind, email, actions in DEMO_REQUESTS:
        request = lifecycle.create_request(
            tenant, type=kind, subject=lifecycle.Subject(email=email),  # no name given: letters greet neutrally
            received_at=utcnow() - timedelta(days=days, hours=2), actor="system:demo")
        for action in actions:
            steps[action](request)
    return [f"Added {len(DEMO_REQUESTS)} sample requests to the queue."]
