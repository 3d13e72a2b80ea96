"""The dashboard is usable on a phone and on a desktop: at 390 px and 1280 px wide no
dashboard page scrolls sideways (wide tables scroll or reflow inside their own box).
Portal pages have their own check in tests/portal."""
from __future__ import annotations

import pytest

from tests.accessibility.conftest import DASHBOARD_PAGES, dashboard_paths
from tests.dashboard.test_browser import sign_in

pytestmark = pytest.mark.browser


def sideways(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_no_dashboard_page_scrolls_sideways(page, busy_tenant, width):
    admin, secret, references, message = busy_tenant
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, admin, secret)
    wide = {}
    for path in dashboard_paths(DASHBOARD_PAGES, references, message):
        page.goto(path)
        assert page.locator("main h1").count() == 1, path  # the page really rendered
        if (extra := sideways(page)) > 0:
            wide[path] = extra
    assert wide == {}


def test_the_check_catches_a_page_that_scrolls_sideways(page):
    """Control: a page wider than the window is measured as such."""
    page.set_viewport_size({"width": 390, "height": 900})
    page.set_content("<!doctype html><html><body><table><tr><td style='min-width:900px'>x</td></tr></table>"
                     "</body></html>")
    assert sideways(page) > 0
