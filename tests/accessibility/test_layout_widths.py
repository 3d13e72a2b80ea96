"""The dashboard is usable on a phone and on a desktop: at 390 px and 1280 px wide no
dashboard page scrolls sideways (wide tables scroll or reflow inside their own box).
Portal pages have their own check in tests/portal."""
from __future__ import annotations

import pytest

from dsar.extensions import db
from dsar.jobs.runner import run_job
from dsar.models import OutboxMessage
from dsar.services import lifecycle
from tests.dashboard.factories import enrol_totp, make_request
from tests.dashboard.test_browser import sign_in
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.browser

PAGES = ("/dashboard/", "/dashboard/audit", "/dashboard/reports", "/dashboard/outbox", "/dashboard/jobs",
         "/dashboard/datamap", "/dashboard/settings", "/dashboard/users", "/dashboard/tokens",
         "/dashboard/requests/new")


def sideways(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def busy_tenant(app):
    """A tenant with what makes pages wide: long references, a scheduled erasure with its
    timeline, messages, job runs."""
    tenant = make_tenant("layout", name="Layout Testing Organisation Limited")
    admin = make_user(tenant, "admin", email="a.very.long.staff.address.for.layout@example.org")
    for kind in ("access", "erasure", "rectification", "withdraw_consent"):
        request = make_request(tenant, kind, email=f"someone.with.a.long.address.{kind}@example.org")
    lifecycle.verify(request, "test", reason="ID seen")
    erasure = make_request(tenant, "erasure", email="eraser.with.a.long.address@example.org")
    lifecycle.verify(erasure, "test", reason="Signed letter on file")
    lifecycle.schedule_erasure(erasure, "test")
    db.session.commit()
    run_job("expire-unverified", tenant_id=tenant.id, trigger="test")
    db.session.commit()
    message = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id)).scalars().first()
    return admin, enrol_totp(admin), [erasure.reference, request.reference], message


@pytest.mark.parametrize("width", [390, 1280])
def test_no_dashboard_page_scrolls_sideways(page, busy_tenant, width):
    admin, secret, references, message = busy_tenant
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, admin, secret)
    paths = [*PAGES, *(f"/dashboard/requests/{ref}" for ref in references)]
    if message is not None:
        paths.append(f"/dashboard/outbox/{message.id}")
    wide = {}
    for path in paths:
        page.goto(path)
        assert page.locator("main h1").count() == 1, path  # the page really rendered
        if (extra := sideways(page)) > 0:
            wide[path] = extra
    assert wide == {}


def test_the_check_catches_a_page_that_scrolls_sideways(page):
    """Control: a page wider than the window is measured as such."""
    page.set_viewport_size({"width": 390, "height": 900})
    page.set_content("<!doctype html><html><body><table><tr><td style='min-width:900px'>x</td></tr></table></body></html>")
    assert sideways(page) > 0
