"""A request's page: what staff see, the action forms, errors as messages, tasks, exports,
and manual entry of a request received by post, phone or e-mail."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from dsar.extensions import db
from dsar.models import AuditEvent, RightsRequest, Task, utcnow
from tests.clock import FromNow, resolve
from tests.dashboard.factories import act, fresh, make_request, signed_in_staff, staff_tenant
from tests.dashboard.factories import request_page as flashed
from tests.downloads.fixtures import open_zip
from tests.factories import make_tenant, make_user



@pytest.fixture
def tenant(app):
    return staff_tenant("shop")


@pytest.mark.calendar
def test_the_page_shows_the_subject_deadlines_and_timeline(client, tenant, dpo):
    request = make_request(tenant, "access", email="ada@example.org", name="Ada Lovelace")
    page = client.get(f"/dashboard/requests/{request.reference}").get_data(as_text=True)
    assert "ada@example.org" in page and "Ada Lovelace" in page  # decrypted, for staff
    assert request.due_date.strftime("%d %b %Y") in page and request.target_date.strftime("%d %b %Y") in page
    assert "not verified yet" in page and "Request received" in page
    assert "/actions/verify" in page and "/actions/approve" not in page  # only what the state allows


def test_verify_approve_and_complete_by_hand(client, tenant, dpo):
    request = make_request(tenant, "objection")
    assert act(client, request, "verify", reason="").status_code == 303
    assert fresh(request).status == "unverified"
    assert "Reason: manual verification needs a recorded reason" in flashed(client, request)

    act(client, request, "verify", reason="Called the subject back on the number on file")
    assert fresh(request).status == "verified" and fresh(request).verified_at is not None
    act(client, request, "approve")
    assert fresh(request).status == "in_progress"
    act(client, request, "complete", outcome="complied_in_part")
    done = fresh(request)
    assert (done.status, done.outcome) == ("completed", "complied_in_part")
    kinds = [e.kind for e in db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.request_id == request.id).order_by(AuditEvent.id)).scalars()]
    assert kinds == ["request_received", "verify", "approve", "complete"]
    actors = {e.actor for e in db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.request_id == request.id, AuditEvent.kind != "request_received")).scalars()}
    assert actors == {f"user:{dpo.id}"}


def test_an_action_the_state_does_not_allow_is_a_message_not_an_error_page(client, tenant, dpo):
    request = make_request(tenant, "access")
    response = act(client, request, "approve")
    assert response.status_code == 303
    page = flashed(client, request)
    assert "cannot approve a request that is unverified" in page
    assert fresh(request).status == "unverified"
    assert act(client, request, "no-such-action").status_code == 404


def test_deny_with_a_template_reason(client, tenant, dpo):
    request = make_request(tenant, "access")
    act(client, request, "deny", template="", reason="")
    assert fresh(request).status == "unverified"
    assert "Reason: choose a reason or write one" in flashed(client, request)
    act(client, request, "deny", template="manifestly_unfounded", reason="")
    denied = fresh(request)
    assert denied.status == "denied" and "Art. 12(5)" in denied.denial_reason and denied.outcome == "denied"


@pytest.mark.calendar
def test_pause_resume_and_one_extension(client, tenant, dpo):
    request = make_request(tenant, "access")
    act(client, request, "verify", reason="ID seen")
    act(client, request, "pause", reason="")
    assert "Reason: a reason is required to pause" in flashed(client, request)
    act(client, request, "pause", reason="Which of your two accounts?")
    assert fresh(request).status == "paused"
    act(client, request, "resume")
    assert fresh(request).status == "in_progress"
    act(client, request, "extend", reason="Many systems to search")
    extended = fresh(request)
    assert extended.extended_to is not None and extended.extended_to > extended.due_date
    act(client, request, "extend", reason="Again")
    assert "already" in flashed(client, request).lower()
    assert fresh(request).extended_to == extended.extended_to


def test_assign_note_cancel_and_legal_hold(client, tenant, dpo):
    colleague = make_user(tenant, "agent")
    outsider = make_user(make_tenant(), "agent")
    request = make_request(tenant, "erasure")
    act(client, request, "assign", assignee_id=str(colleague.id))
    assert fresh(request).assignee_id == colleague.id
    act(client, request, "assign", assignee_id=str(outsider.id))
    assert fresh(request).assignee_id == colleague.id
    assert "Assignee id: choose a member of staff of this organisation" in flashed(client, request)
    act(client, request, "note", note="Called the subject")
    act(client, request, "legal_hold", on="1", reason="")
    assert "Reason: a legal hold needs a reason" in flashed(client, request)
    act(client, request, "legal_hold", on="1", reason="Litigation hold from counsel")
    assert fresh(request).legal_hold
    assert "Litigation hold from counsel" in flashed(client, request)
    act(client, request, "legal_hold", on="0")
    assert not fresh(request).legal_hold
    act(client, request, "cancel", reason="The subject withdrew by phone")
    assert (fresh(request).status, fresh(request).outcome) == ("withdrawn", "withdrawn")
    page = flashed(client, request)
    assert "Called the subject" in page and "/actions/verify" not in page


def scheduled_erasure(tenant):
    from dsar.services import lifecycle

    request = make_request(tenant, "erasure")
    lifecycle.verify(request, "test", reason="ID seen")
    lifecycle.schedule_erasure(request, "test")
    db.session.commit()
    return request


@pytest.mark.calendar
def test_a_scheduled_erasure_is_not_marked_completed_while_it_never_ran(client, tenant, dpo):
    request = scheduled_erasure(tenant)
    act(client, request, "complete", outcome="complied")
    assert fresh(request).status == "scheduled" and fresh(request).erasure_at is not None
    assert "cannot be complied with in whole" in flashed(client, request)
    act(client, request, "complete", outcome="complied_in_part", reason="")
    assert fresh(request).status == "scheduled"
    assert "Reason: say why the scheduled erasure cannot run" in flashed(client, request)
    act(client, request, "complete", outcome="complied_in_part", reason="Backups cannot be erased before expiry")
    closed = fresh(request)
    assert (closed.status, closed.outcome, closed.erasure_at) == ("completed", "complied_in_part", None)
    assert "Backups cannot be erased before expiry" in flashed(client, request)  # in the timeline


@pytest.mark.calendar
def test_a_scheduled_erasure_can_be_denied_with_its_reason(client, tenant, dpo):
    request = scheduled_erasure(tenant)
    act(client, request, "deny", reason="A legal claim about this account is pending")
    assert (fresh(request).status, fresh(request).outcome) == ("denied", "denied")


def test_a_rectification_is_worked_through_its_task(client, tenant, dpo):
    request = make_request(tenant, "rectification")
    act(client, request, "verify", reason="Account number matched")
    act(client, request, "fulfil")
    assert fresh(request).status == "in_progress"
    (task,) = db.session.execute(sa.select(Task).where(Task.request_id == request.id)).scalars()
    page = flashed(client, request)
    assert str(escape(task.title)) in page and f"/tasks/{task.id}/done" in page
    empty = client.post(f"/dashboard/requests/{request.reference}/tasks/{task.id}/done", data={"note": ""})
    assert empty.status_code == 303 and "Note: say in a note" in flashed(client, request)
    client.post(f"/dashboard/requests/{request.reference}/tasks/{task.id}/done", data={"note": "Fixed in the CRM"})
    closed = fresh(request)
    assert (closed.status, closed.outcome) == ("completed", "complied")
    assert db.session.get(Task, task.id).done_by_id == dpo.id
    other = make_request(tenant, "rectification")
    assert client.post(f"/dashboard/requests/{other.reference}/tasks/{task.id}/done",
                       data={"note": "x"}).status_code == 404  # a task of another request


def test_an_access_request_fulfilled_with_its_preview_and_staff_download(client, acme, sample):
    signed_in_staff(client, acme)
    request = make_request(acme, "access", email=sample.subjects[0].email)
    act(client, request, "verify", reason="Signed letter on file")
    page = flashed(client, request)
    assert "Rows found" in page and "conversations" in page and "messages" in page
    act(client, request, "fulfil")
    done = fresh(request)
    assert (done.status, done.outcome) == ("completed", "complied")
    page = flashed(client, request)
    href = f"/dashboard/requests/{request.reference}/exports/"
    assert href in page
    export_id = int(page.split(href, 1)[1].split('"', 1)[0])
    response = client.get(f"{href}{export_id}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = open_zip(response.data)
    assert "manifest.json" in archive.namelist() and "README.html" in archive.namelist()
    assert any(name.startswith("data/app/messages") for name in archive.namelist())


def test_fulfilment_without_a_data_map_is_a_message(client, tenant, dpo):
    request = make_request(tenant, "access")
    act(client, request, "verify", reason="ID seen")
    page = flashed(client, request)
    assert "The sources could not be searched" in page and "no data map" in page
    act(client, request, "fulfil")
    assert "no data map" in flashed(client, request)
    assert fresh(request).status in ("verified", "in_progress")


# --- manual entry ----------------------------------------------------------------------------


@pytest.mark.calendar
def test_a_request_received_by_post_starts_its_clock_on_the_day_received(client, tenant, dpo):
    received = utcnow().date() - timedelta(days=10)
    response = client.post("/dashboard/requests/new", data={
        "channel": "post", "received_on": received.isoformat(), "type": "erasure", "regime": "gdpr",
        "email": "letter@example.org", "name": "Leta Writer", "phone": "", "customer_id": "C-1", "details": ""})
    assert response.status_code == 303
    request = db.session.execute(sa.select(RightsRequest).where(RightsRequest.tenant_id == tenant.id)).scalar_one()
    assert response.headers["Location"].endswith(f"/dashboard/requests/{request.reference}")
    assert (request.channel, request.type, request.status) == ("post", "erasure", "unverified")
    assert request.received_at.date() == received
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "letter@example.org" in page and "C-1" in page


@pytest.mark.calendar
def test_manual_entry_can_record_a_verified_identity(client, tenant, dpo):
    client.post("/dashboard/requests/new", data={
        "channel": "phone", "received_on": utcnow().date().isoformat(), "type": "access", "regime": "gdpr",
        "email": "", "name": "Phoebe Caller", "verified": "y", "verification_reason": "Security questions answered"})
    request = db.session.execute(sa.select(RightsRequest).where(RightsRequest.tenant_id == tenant.id)).scalar_one()
    assert request.status == "verified" and request.subject_email_enc is None


@pytest.mark.calendar
@pytest.mark.parametrize("change, field, words", [
    ({"received_on": FromNow(days=3, form="date")}, "received_on", "cannot be in the future"),
    ({"email": "", "name": ""}, "email", "needs an e-mail, a name"),
    ({"email": "not-an-address"}, "email", "Invalid email"),
    ({"verified": "y", "verification_reason": ""}, "verification_reason", "needs a verification_reason"),
])
def test_manual_entry_errors_name_the_field(client, tenant, dpo, change, field, words):
    data = {"channel": "email", "received_on": utcnow().date().isoformat(), "type": "access", "regime": "gdpr",
            "email": "someone@example.org", **resolve(change)}
    response = client.post("/dashboard/requests/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    assert db.session.execute(sa.select(sa.func.count()).select_from(RightsRequest)).scalar_one() == 0
