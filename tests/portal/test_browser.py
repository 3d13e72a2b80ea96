"""A real browser, by keyboard: submit on the portal, read the message, follow the link,
confirm, see the status page, withdraw."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_tenant
from tests.portal.helpers import last_mail, request_by_reference


def _tab_to(page, element_id: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


@pytest.mark.browser
def test_a_subject_goes_from_the_form_to_the_status_page(page, app):
    make_tenant("acme", name="Acme Chat")
    page.goto("/t/acme/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your privacy rights with Acme Chat")

    # By keyboard alone: the radio group is one tab stop, arrows choose within it.
    _tab_to(page, "type-0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # access -> portability -> erasure
    expect(page.get_by_label("Erase my data")).to_be_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type("alice@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("Alice Example")
    page.keyboard.press("Enter")

    page.wait_for_url("**/t/acme/sent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    reference = page.locator("text=DSR-").first.inner_text().split("reference ")[1].rstrip(".")

    mail = last_mail("verification")
    assert mail.to == "alice@example.com" and reference in mail.subject
    page.goto(mail.verify_path)
    page.get_by_role("button", name="Confirm my request").click()
    page.wait_for_url(f"**/r/{reference}?t=*")
    expect(page.locator("body")).to_contain_text("Thank you: your e-mail address is confirmed.")
    expect(page.get_by_text("Confirmed, waiting to be handled")).to_be_visible()
    assert request_by_reference(reference).status == "verified"

    page.get_by_role("button", name="Withdraw my request").click()
    expect(page.get_by_text("Your request is withdrawn.")).to_be_visible()
    assert request_by_reference(reference).status == "withdrawn"


@pytest.mark.browser
def test_a_bad_address_is_announced_at_its_field(page, app):
    make_tenant("acme")
    page.goto("/t/acme/?lang=fr")
    page.get_by_label("Votre adresse e-mail", exact=True).fill("alice")
    page.get_by_role("button", name="Envoyer ma demande").click()
    field = page.locator("#email")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", re.compile(r"\bemail-error\b"))
    expect(page.locator("#email-error")).to_contain_text("nom@example.com")
    expect(page.get_by_role("alert")).to_be_visible()
