"""axe-core in the real browser: the pages a data subject, a newcomer or the DPO reaches
have no serious or critical accessibility violation (WCAG 2.1 A/AA rules)."""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.accessibility.conftest import DASHBOARD_PAGES, dashboard_paths
from tests.dashboard.test_browser import sign_in
from tests.factories import make_tenant

pytestmark = pytest.mark.browser
BLOCKING = {"serious", "critical"}
_axe = Axe()


def blocking_violations(page) -> list[str]:
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in BLOCKING]


def test_portal_page(page, app):
    make_tenant("acme", name="Acme Chat")
    page.goto("/t/acme/")
    assert page.get_by_role("button").count() > 0  # the page really rendered
    assert blocking_violations(page) == []


def test_portal_with_errors(page, app):
    make_tenant("acme", name="Acme Chat")
    page.goto("/t/acme/")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("[aria-invalid=true]").first).to_be_visible()  # errors are really shown
    assert blocking_violations(page) == []


def test_request_sent_page(page, app):
    make_tenant("acme", name="Acme Chat")
    page.goto("/t/acme/")
    page.get_by_label("See the data you hold about me").check()
    page.get_by_label("E-mail", exact=False).first.fill("someone@example.com")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/t/acme/sent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert blocking_violations(page) == []


@pytest.mark.parametrize("path", ["/t/acme/find", "/t/acme/find?sent=1", "/t/acme/no-such-page"])
def test_find_my_request_and_not_found_pages(page, app, path):
    make_tenant("acme", name="Acme Chat")
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert blocking_violations(page) == []


def test_login_page(page, app):
    page.goto("/login")
    assert blocking_violations(page) == []


def test_dashboard_pages(page, busy_tenant):
    """The queue, a scheduled erasure's and an open request's pages, the audit trail, jobs,
    settings (also with its errors shown), the outbox and one message, and the rest."""
    admin, secret, references, message = busy_tenant
    sign_in(page, admin, secret)
    found = {}
    for path in dashboard_paths(DASHBOARD_PAGES, references, message):
        page.goto(path)
        assert page.locator("main h1").count() == 1, path  # the page really rendered
        if violations := blocking_violations(page):
            found[path] = violations
    page.goto("/dashboard/settings")
    page.get_by_label("Country or region").fill("GB")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("#error-summary")
    if violations := blocking_violations(page):
        found["/dashboard/settings (errors)"] = violations
    assert found == {}


def test_the_check_catches_a_known_violation(page):
    """Control: an unlabelled field is reported, so a clean result above means something."""
    page.set_content("<!doctype html><html lang=en><head><title>t</title></head>"
                     "<body><main><input type=text></main></body></html>")
    assert any(v.startswith("label ") for v in blocking_violations(page))
