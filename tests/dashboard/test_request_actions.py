"""A request's page says what each action will do and what it did, per type and state; it
groups them by what is possible now (the next step first, the ending ones apart and asked
first); states, events and audit details are words, never codes or JSON."""
from __future__ import annotations

import re

import pytest

from dsar.extensions import db
from dsar.services import lifecycle
from tests.dashboard.factories import act, fresh, make_request, signed_in_staff, staff_tenant
from tests.dashboard.factories import request_page as page_of
from tests.factories import make_tenant, make_user


@pytest.fixture
def tenant(app):
    return staff_tenant("words")


def section(page: str, anchor: str) -> str:
    """The HTML of the section with id ``anchor`` ('' when absent)."""
    found = re.search(rf'<section[^>]*id="{anchor}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_an_erasure_says_it_schedules_and_then_when_it_runs(client, acme, sample):
    signed_in_staff(client, acme)
    request = make_request(acme, "erasure", email=sample.subjects[0].email)
    act(client, request, "verify", reason="Signed letter on file")
    page = page_of(client, request)
    step = section(page, "next-step")
    assert "Schedule the erasure" in step and "nothing is erased now" in step
    assert "Run fulfilment now?" not in page and "Fulfilment done" not in page
    act(client, request, "fulfil")
    scheduled = fresh(request)
    assert scheduled.status == "scheduled"
    page = page_of(client, request)
    assert f"Erasure scheduled for {scheduled.erasure_at:%d %b %Y %H:%M} UTC. Nothing is erased yet" in page
    assert "The erasure runs on" in section(page, "next-step")
    ending = section(page, "ending")
    assert "Close without running the erasure" in ending and "/actions/deny" in ending
    assert "data-confirm=" in ending and "Mark completed" not in page
    assert '<dd id="status">erasure scheduled</dd>' in page  # the state in words


def test_a_rectification_says_it_only_creates_a_task(client, tenant, dpo):
    request = make_request(tenant, "rectification")
    act(client, request, "verify", reason="Account number matched")
    assert "Create the correction task" in section(page_of(client, request), "next-step")
    act(client, request, "fulfil")
    page = page_of(client, request)
    assert "Task created: make the correction, then mark the task done below." in page
    assert "Create the correction task" not in page  # the task is the next step now
    assert "mark the task below done" in section(page, "next-step")


def test_the_next_step_comes_first_and_the_ending_actions_apart(client, tenant, dpo):
    request = make_request(tenant, "access")
    page = page_of(client, request)
    assert "/actions/verify" in section(page, "next-step")
    ending = section(page, "ending")
    assert "/actions/deny" in ending and "/actions/cancel" in ending
    assert "/actions/deny" not in section(page, "actions")
    assert page.index('id="next-step"') < page.index('id="actions"') < page.index('id="ending"')
    act(client, request, "verify", reason="ID seen")
    page = page_of(client, request)
    assert "Export the data and send the link" in section(page, "next-step")
    assert "/actions/pause" in section(page, "actions") and "/actions/approve" in section(page, "actions")


def test_the_timeline_and_the_audit_trail_speak_in_words(client, tenant, dpo):
    request = make_request(tenant, "access")
    act(client, request, "verify", reason="ID seen")
    act(client, request, "approve")
    page = page_of(client, request)
    assert "in_progress" not in page and "Identity verified" in page
    assert "not verified yet → verified" in page and "verified → in progress" in page
    audit = client.get("/dashboard/audit").get_data(as_text=True)
    assert "{&#34;" not in audit and '{"' not in audit and "in_progress" not in audit  # no JSON dump
    assert re.search(r'<th scope="row">To</th><td>in progress</td>', audit)
    assert "Request received" in audit and "Approved" in audit


def test_each_action_says_what_it_did(client, tenant, dpo):
    request = make_request(tenant, "objection")
    act(client, request, "verify", reason="ID seen")
    act(client, request, "pause", reason="Which account?")
    assert "Paused: the clock stopped; the subject was told." in page_of(client, request)
    act(client, request, "resume")
    assert f"Resumed: the target date is now {fresh(request).target_date:%d %b %Y}." in page_of(client, request)
    act(client, request, "complete", outcome="complied_in_part", reason="")
    assert "Completed: complied in part." in page_of(client, request)


def test_extend_is_refused_on_a_scheduled_erasure_in_the_dashboard_as_in_the_api(client, tenant, dpo):
    request = make_request(tenant, "erasure")
    lifecycle.verify(request, "test", reason="ID seen")
    lifecycle.schedule_erasure(request, "test")
    db.session.commit()
    act(client, request, "extend", reason="Complex")
    assert fresh(request).extended_to is None
    assert "cannot extend a request that is scheduled" in page_of(client, request)


def test_auditors_are_not_offered_as_assignees(client, tenant, dpo):
    auditor = make_user(tenant, "auditor")
    agent = make_user(tenant, "agent")
    request = make_request(tenant, "access")
    assign = section(page_of(client, request), "record-keeping")
    assert f'value="{agent.id}"' in assign and f'value="{auditor.id}"' not in assign
    act(client, request, "assign", assignee_id=str(auditor.id))
    assert fresh(request).assignee_id is None
    assert "Assignee id: an auditor only reads" in page_of(client, request)


def test_the_page_lists_the_subjects_other_requests_of_this_tenant_only(client, tenant, dpo):
    first = make_request(tenant, "access", email="Repeat@Example.org")
    second = make_request(tenant, "erasure", email="repeat@example.org")
    stranger = make_request(tenant, "access", email="stranger@example.org")
    elsewhere = make_request(make_tenant(), "access", email="repeat@example.org")
    listed = re.search(r'<dd id="other-requests">(.*?)</dd>', page_of(client, second), re.S).group(1)
    assert first.reference in listed and "access, not verified yet" in listed
    assert second.reference not in listed and stranger.reference not in listed and elsewhere.reference not in listed
    alone = re.search(r'<dd id="other-requests">(.*?)</dd>', page_of(client, stranger), re.S).group(1)
    assert "none from this address" in alone
