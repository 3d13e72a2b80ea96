"""A dashboard tenant with what makes pages wide and varied, for the browser checks of this package."""
from __future__ import annotations

import pytest

from dsar.extensions import db
from dsar.jobs.runner import run_job
from dsar.models import OutboxMessage
from dsar.services import lifecycle
from tests.dashboard.factories import enrol_totp, make_request
from tests.factories import make_tenant, make_user

DASHBOARD_PAGES = ("/dashboard/", "/dashboard/audit", "/dashboard/reports", "/dashboard/outbox", "/dashboard/jobs",
                   "/dashboard/datamap", "/dashboard/settings", "/dashboard/users", "/dashboard/tokens",
                   "/dashboard/requests/new")


def dashboard_paths(pages, references, message) -> list[str]:
    """``pages``, then each request's page and the outbox message's."""
    paths = [*pages, *(f"/dashboard/requests/{ref}" for ref in references)]
    if message is not None:
        paths.append(f"/dashboard/outbox/{message.id}")
    return paths


@pytest.fixture
def busy_tenant(app):
    """A tenant with what makes pages wide: long addresses, a paused request (its letter is
    in the outbox), a scheduled erasure with its timeline, a job run."""
    tenant = make_tenant("layout", name="Layout Testing Organisation Limited")
    admin = make_user(tenant, "admin", email="a.very.long.staff.address.for.layout@example.org")
    for kind in ("access", "erasure", "rectification", "withdraw_consent"):
        request = make_request(tenant, kind, email=f"someone.with.a.long.address.{kind}@example.org")
    lifecycle.verify(request, "test", reason="ID seen")
    lifecycle.pause(request, "test", "Which of your two accounts? See https://example.org/a/very/long/help/page")
    erasure = make_request(tenant, "erasure", email="eraser.with.a.long.address@example.org")
    lifecycle.verify(erasure, "test", reason="Signed letter on file")
    lifecycle.schedule_erasure(erasure, "test")
    db.session.commit()
    run_job("expire-unverified", tenant_id=tenant.id, trigger="test")
    db.session.commit()
    message = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id)).scalars().first()
    assert message is not None  # the erasure's "scheduled" letter: the outbox message page is covered
    return admin, enrol_totp(admin), [erasure.reference, request.reference], message
