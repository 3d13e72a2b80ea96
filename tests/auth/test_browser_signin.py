"""A DPO in a real browser: first sign-in enrols TOTP, the next one asks for the code."""
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_tenant, make_user


def sign_in_with_password(page, email):
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_a_dpo_enrols_then_signs_in_with_a_code(page, app):
    user = make_user(make_tenant(name="Acme Chat"), "dpo")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: errors.append(response.url)
            if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)

    sign_in_with_password(page, user.email)
    page.wait_for_url("**/account/two-factor")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on and continue").click()
    # The recovery codes are shown once, then on to the dashboard.
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: continue").click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    expect(page.locator("body")).to_contain_text("No requests yet")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    sign_in_with_password(page, user.email)
    page.wait_for_url("**/login/code")
    # The code used to enrol cannot be used again: the next one (accepted within the drift).
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    # No CSP violation, script error or missing file on the way (browsers ask for a favicon).
    assert [e for e in errors if "favicon.ico" not in e and "404 (NOT FOUND)" not in e] == [], errors
