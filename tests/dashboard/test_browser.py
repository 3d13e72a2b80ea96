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
    page.on("dialog", lambda dialog: dialog.accept())  # "Export the subject's data now …?" and the like
    sign_in(page, dpo, secret)

    # The rectification: verify, fulfil (a task), tick the task off -> completed.
    page.get_by_role("link", name=rectification.reference).click()
    page.get_by_label("How identity was checked").fill("Called back on the number on file")
    page.get_by_role("button", name="Verify identity").click()
    page.wait_for_selector("text=Identity verified.")
    expect(page.locator("#status")).to_have_text("verified")
    page.get_by_role("button", name="Create the correction task").click()
    page.wait_for_selector("text=Task created: make the correction")
    page.get_by_label("What was done").fill("Surname corrected in the CRM")
    page.get_by_role("button", name="Mark done").click()
    page.wait_for_selector("text=Task done.")
    expect(page.locator("#status")).to_have_text("completed")
    assert status_of(rectification.reference) == "completed"

    # The access request: from the queue, verify, approve, fulfil, download the export.
    page.get_by_role("link", name="← Queue").click()
    page.get_by_role("link", name=access.reference).click()
    page.get_by_label("How identity was checked").fill("Signed letter on file")
    page.get_by_role("button", name="Verify identity").click()
    page.wait_for_selector("text=Identity verified.")
    expect(page.get_by_role("cell", name="messages").first).to_be_visible()  # the discovery preview
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("text=Approved")
    page.get_by_role("button", name="Export the data and send the link").click()
    page.wait_for_selector("text=Export made and the download link sent")
    expect(page.locator("#status")).to_have_text("completed")
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
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(2)

    page.get_by_role("link", name=request.reference).click()
    page.get_by_label("Reason template").select_option("identity_not_verified")
    # The template fills the reason from a script: wait for it (bounded), never read at once.
    expect(page.get_by_label("Reason (recorded")).to_have_value(re.compile("could not verify"))
    page.get_by_role("button", name="Deny").click()
    page.wait_for_selector("text=Denied; the reason is recorded and the subject was told.")
    assert status_of(request.reference) == "denied"


@pytest.mark.browser
def test_a_dpo_finds_schedules_and_honestly_closes_an_erasure_then_reads_jobs_and_settings(page, acme, sample):
    """Search by part of a reference, an erasure that says it only schedules, the questions
    asked before each step, closing it without running only with a reason; the routine job
    runs behind a checkbox; every settings error at once."""
    dpo = make_user(acme, "dpo")
    secret = enrol_totp(dpo)
    erasure = make_request(acme, "erasure", email=sample.subjects[0].email, name="Erin Eraser")
    make_request(acme, "access")
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    sign_in(page, dpo, secret)

    expect(page.get_by_role("cell", name="Erin Eraser")).to_be_visible()  # the requester column
    page.get_by_label("Reference (or part of one)").fill(erasure.reference.split("-")[2].lower())
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    page.get_by_role("link", name=erasure.reference).click()

    page.get_by_label("How identity was checked").fill("Signed letter on file")
    page.get_by_role("button", name="Verify identity").click()
    page.wait_for_selector("text=Identity verified.")
    page.get_by_role("button", name="Schedule the erasure").click()
    page.wait_for_selector("text=Nothing is erased yet")
    assert questions[-1] == "Schedule the erasure? It runs by itself when the grace period ends."
    expect(page.locator("#status")).to_have_text("erasure scheduled")
    expect(page.get_by_role("button", name="Mark completed")).to_have_count(0)

    page.get_by_label("Why the erasure cannot run (recorded)").fill("Backups cannot be erased before they expire")
    page.get_by_role("button", name="Close without running the erasure").click()
    page.wait_for_selector("text=Closed without the erasure")
    assert "complied in part" in questions[-1]
    expect(page.locator("#status")).to_have_text("completed")
    assert status_of(erasure.reference) == "completed"
    expect(page.get_by_text("Backups cannot be erased before they expire")).to_be_visible()  # in the timeline

    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_label("Show routine runs", exact=False)).not_to_be_checked()
    page.get_by_label("Job", exact=True).select_option("retention")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/dashboard/jobs?job=retention*")

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Country or region").fill("GB")
    page.get_by_label("Erasure grace period (days)").fill("400")
    page.get_by_role("button", name="Save settings").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("2 things to fix")
    expect(summary).to_contain_text("GB-ENG, GB-SCT, GB-WLS or GB-NIR")
