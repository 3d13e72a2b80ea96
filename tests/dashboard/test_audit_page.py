"""The audit page: events per tenant, by request, the chain check catching tampering, and no
plain subject identifier in any event after a full request flow."""
from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from dsar.extensions import db
from dsar.models import AuditEvent, RightsRequest, Task, utcnow
from tests.dashboard.factories import make_request, sign_in
from tests.factories import make_tenant, make_user



@pytest.fixture
def tenant(app):
    return make_tenant("audited")


@pytest.fixture
def auditor(tenant, client):
    user = make_user(tenant, "auditor")
    sign_in(client, user, tenant)
    return user


def events_of(tenant):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.tenant_id == tenant.id)
                              .order_by(AuditEvent.id)).scalars().all()


def verify_page(client) -> str:
    response = client.get("/dashboard/audit", query_string={"verify": "1"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_chain_is_verified_from_the_page(client, tenant, auditor):
    make_request(tenant)
    count = len(events_of(tenant))
    page = verify_page(client)
    assert f"Chain intact: {count} events verified." in page


@pytest.mark.calendar
def test_an_edited_event_is_caught(client, tenant, auditor):
    request = make_request(tenant)
    target = events_of(tenant)[-1]
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == target.id).values(actor="user:999"))
    db.session.commit()
    page = verify_page(client)
    assert f"Chain broken at event {target.id}:" in page and "edited after it was written" in page
    assert f'id="event-{target.id}" class="broken"' in page
    assert request.reference in page


def test_a_deleted_event_is_caught(client, tenant, auditor):
    make_request(tenant)
    make_request(tenant)
    events = events_of(tenant)
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == events[1].id))
    db.session.commit()
    page = verify_page(client)
    assert f"Chain broken at event {events[2].id}:" in page and "deleted or reordered" in page


@pytest.mark.calendar
def test_another_tenants_broken_chain_is_not_this_tenants_business(client, tenant, auditor):
    other = make_tenant("other")
    make_request(other)
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.tenant_id == other.id).values(reason="forged"))
    db.session.commit()
    page = verify_page(client)
    assert "Chain intact" in page and "forged" not in page


def test_events_filtered_by_request(client, tenant, auditor):
    first, second = make_request(tenant), make_request(tenant)
    page = client.get("/dashboard/audit", query_string={"request": first.reference}).get_data(as_text=True)
    assert first.reference in page and second.reference not in page
    assert client.get("/dashboard/audit", query_string={"request": "DSR-NONE-NONE"}).status_code == 404


SUBJECT = {"email": "Priya.Identifiable@Example.com", "name": "Priya Identifiable", "phone": "+44 7700 900123",
           "customer_id": "CUST-99812"}


@pytest.mark.calendar
def test_no_plain_identifier_in_the_audit_trail_or_logs_after_full_flows(client, acme, sample, caplog):
    """Every action of the dashboard on three requests (manual entry, verification, approval,
    assignment, notes, pause, extension, legal hold, fulfilment with export and download,
    erasure scheduling, a rectification task): the subject's e-mail, name, phone and customer
    number appear in no audit event and no log line."""
    caplog.set_level(logging.DEBUG)
    dpo = make_user(acme, "dpo")
    sign_in(client, dpo, acme)
    subject = {**SUBJECT, "email": sample.subjects[0].email}

    def enter(kind):
        response = client.post("/dashboard/requests/new", data={
            "channel": "email", "received_on": utcnow().date().isoformat(), "type": kind, "regime": "gdpr",
            **subject, "details": "Please fix my surname"})
        assert response.status_code == 303, response.data
        return response.headers["Location"].rsplit("/", 1)[1]

    def act(reference, name, **form):
        assert client.post(f"/dashboard/requests/{reference}/actions/{name}", data=form).status_code == 303

    access = enter("access")
    act(access, "verify", reason="Identity checked against the signed letter")
    act(access, "assign", assignee_id=str(dpo.id))
    act(access, "note", note="Searching every system")
    act(access, "pause", reason="Waiting for the account number")
    act(access, "resume")
    act(access, "extend", reason="Complex request")
    act(access, "fulfil")
    page = client.get(f"/dashboard/requests/{access}").get_data(as_text=True)
    export_link = page.split(f"/dashboard/requests/{access}/exports/", 1)[1].split('"', 1)[0]
    assert client.get(f"/dashboard/requests/{access}/exports/{export_link}").status_code == 200

    erasure = enter("erasure")
    act(erasure, "verify", reason="Security questions answered")
    act(erasure, "legal_hold", on="1", reason="Pending litigation")
    act(erasure, "legal_hold", on="0")
    act(erasure, "fulfil")

    rectification = enter("rectification")
    act(rectification, "verify", reason="Account number matched")
    act(rectification, "fulfil")
    (task,) = db.session.execute(sa.select(Task).join(RightsRequest).where(
        RightsRequest.reference == rectification)).scalars()
    client.post(f"/dashboard/requests/{rectification}/tasks/{task.id}/done", data={"note": "Surname fixed"})

    statuses = dict(db.session.execute(sa.select(RightsRequest.reference, RightsRequest.status)).all())
    assert statuses == {access: "completed", erasure: "scheduled", rectification: "completed"}
    events = events_of(acme)
    assert len(events) >= 20
    identifiers = [value.lower() for value in subject.values()] + ["7700 900123", "7700900123"]
    for event in events:
        text = json.dumps([event.actor, event.reason, event.payload], default=str).lower()
        for value in identifiers:
            assert value not in text, (event.kind, value)
    logged = "\n".join(record.getMessage() for record in caplog.records).lower()
    for value in identifiers:
        assert value not in logged, value
