"""The dashboard in a real browser: sign in with a TOTP code, work requests from the queue
to completion, download an export."""
from __future__ import annotations

import io
import re
import zipfile

import pyotp
import pytest
from playwright.sync_api import expect

from dsar.extensions import db
from dsar.models import RightsRequest
from tests.dashboard.factories import enrol_totp, make_request
from tests.factories import PASSWORD, make_user


def sign_in(page, user, secret):
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/code")
    page.get_by_label("Six-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/dashboard/")


def status_of(reference: str) -> str:
    db.session.expire_all()
    return db.session.execute(db.select(RightsRequest.status).where(RightsRequest.reference == reference)).scalar_one()


@pytest.mark.browser
def test_a_dpo_works_a_rectification_and_an_access_request_to_completion(page, acme, sample):
    dpo = make_user(acme, "dpo")
    secret = enrol_totp(dpo)
    rectification = make_request(acme, "rectification", email="new.person@example.com")
    access = make_request(acme, "access", email=sample.subjects[0].email)
    page.on("dialog", lambda dialog: dialog.accept())  # "Run fulfilment now?" and the like
    sign_in(page, dpo, secret)

    # The rectification: verify, fulfil (a task), tick the task off -> completed.
    page.get_by_role("link", name=rectification.reference).click()
    page.get_by_label("How identity was checked").fill("Called back on the number on file")
    page.get_by_role("button", name="Verify identity").click()
    page.wait_for_selector("text=Identity verified.")
    assert page.locator("#status").inner_text() == "verified"
    page.get_by_role("button", name="Fulfil").click()
    page.wait_for_selector("text=Fulfilment done.")
    page.get_by_label("What was done").fill("Surname corrected in the CRM")
    page.get_by_role("button", name="Mark done").click()
    page.wait_for_selector("text=Task done.")
    assert page.locator("#status").inner_text() == "completed"
    assert status_of(rectification.reference) == "completed"

    # The access request: from the queue, verify, approve, fulfil, download the export.
    page.get_by_role("link", name="← Queue").click()
    page.get_by_role("link", name=access.reference).click()
    page.get_by_label("How identity was checked").fill("Signed letter on file")
    page.get_by_role("button", name="Verify identity").click()
    page.wait_for_selector("text=Identity verified.")
    assert page.get_by_role("cell", name="messages").first.is_visible()  # the discovery preview
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=Approved")
    page.get_by_role("button", name="Fulfil").click()
    page.wait_for_selector("text=Fulfilment done.")
    assert page.locator("#status").inner_text() == "completed"
    with page.expect_download() as caught:
        page.locator("a[href*='/exports/']").first.click()
    download = caught.value
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))
    assert "manifest.json" in archive.namelist() and "README.html" in archive.namelist()
    assert status_of(access.reference) == "completed"


@pytest.mark.browser
def test_deny_templates_fill_the_reason_and_filters_work(page, app):
    from tests.factories import make_tenant

    tenant = make_tenant("browse")
    agent = make_user(tenant, "agent")
    request = make_request(tenant, "access")
    make_request(tenant, "erasure")
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, agent, enrol_totp(agent))  # agents fulfil requests: two-factor (SPEC §2)

    page.get_by_label("Type").select_option("access")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("table.queue tbody tr").count() == 1
    page.get_by_role("link", name="Clear filters").click()
    assert page.locator("table.queue tbody tr").count() == 2

    page.get_by_role("link", name=request.reference).click()
    page.get_by_label("Reason template").select_option("identity_not_verified")
    # The template fills the reason from a script: wait for it (bounded), never read at once.
    expect(page.get_by_label("Reason (recorded")).to_have_value(re.compile("could not verify"))
    page.get_by_role("button", name="Deny").click()
    page.wait_for_selector("text=Denied; the reason is recorded.")
    assert status_of(request.reference) == "denied"
