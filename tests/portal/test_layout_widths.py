"""No portal page scrolls sideways, on a phone (390 px) or a laptop (1280 px): the form, its
error state, the confirmation, the code and verification pages, "find my request", a status
page with its download and both dates, and the error pages."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dsar.extensions import db
from dsar.services import lifecycle
from dsar.services.notifications import status_url
from tests.factories import fulfil
from tests.portal.helpers import last_mail, portal_submit, request_by_reference, reference_in

pytestmark = pytest.mark.browser

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _pages(app, acme) -> list[str]:
    client = app.test_client()
    acme.policy_days = 20
    db.session.commit()
    pending = reference_in(portal_submit(client, email="wide@example.com", regime="ccpa",
                                         name="Maximiliana Wolfeschlegelsteinhausenbergerdorff").data)
    verify_path = last_mail("verification").verify_path
    done = request_by_reference(reference_in(portal_submit(client, email="alice@example.com").data))
    lifecycle.verify(done, "subject")
    db.session.commit()
    fulfil(done, "test")
    local = lambda url: url.removeprefix("http://localhost")  # noqa: E731
    return ["/t/acme/", "/t/acme/?lang=de", "/t/acme/confirm", f"/t/acme/confirm?reference={pending}",
            "/t/acme/find", "/t/acme/find?sent=1&lang=fr", verify_path,
            local(status_url(request_by_reference(pending))) + "&lang=es", local(status_url(done)),
            "/t/acme/verify/not-a-token", "/t/acme/no-such-page?lang=de", "/r/DSR-0000-0000?t=x"]


@pytest.mark.parametrize("width", [390, 1280])
def test_no_portal_page_scrolls_sideways(chromium, live_server, app, acme, sample, width):
    pages = _pages(app, acme)
    context = chromium.new_context(base_url=live_server, viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        wide = {}
        for path in pages:
            page.goto(path)
            wide[path] = page.evaluate(OVERFLOW)
        # The form with every error shown, and the confirmation after a real submission.
        page.goto("/t/acme/?lang=en")
        page.get_by_label("Your e-mail address", exact=True).fill("not-an-address " * 6)
        page.locator("form button[type=submit]").first.click()
        expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
        wide["form with errors"] = page.evaluate(OVERFLOW)
        page.get_by_label("Your e-mail address", exact=True).fill("someone.with.a.rather.long.address@example.com")
        page.get_by_label("See the data you hold about me", exact=False).check()
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url("**/t/acme/sent")
        wide["/t/acme/sent"] = page.evaluate(OVERFLOW)
    finally:
        context.close()
    assert {path: px for path, px in wide.items() if px > 0} == {}
