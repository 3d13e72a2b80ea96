"""``fulfil``: one entry point for every request type (SPEC §6); rectification tasks closed by
staff; the discovery preview."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsar.domain.request_states import REQUEST_TYPES
from dsar.errors import ConfigurationError, Conflict, ValidationError
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import Task
from dsar.services import fulfilment, lifecycle
from dsar.services.fulfilment import close_task, preview_request
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.downloads.fixtures import events, make_request, messages
from tests.factories import make_tenant, make_user
from tests.sample_app_db import TABLES


CORRECTION = "My surname is Okafor-Lindqvist, not Okafor."


def tasks_of(request) -> list[Task]:
    return list(db.session.execute(sa.select(Task).where(Task.request_id == request.id)
                                   .order_by(Task.id)).scalars())


def test_every_request_type_has_a_step():
    assert set(fulfilment.STEPS) == set(REQUEST_TYPES)


@pytest.mark.parametrize("status", ["unverified", "completed"])
def test_only_a_verified_or_in_progress_request_is_fulfilled(app, status):
    request = make_request(make_tenant(), "opt_out", status="unverified")
    if status == "completed":
        lifecycle.verify(request, "subject")
        fulfil(request, "test")
    with pytest.raises(Conflict) as caught:
        fulfil(request, "test")
    assert "cannot fulfil a request that is" in caught.value.message and status in caught.value.message


def test_fulfilling_moves_a_verified_request_through_in_progress(app):
    request = make_request(make_tenant(), "restriction")
    fulfil(request, "user:7")
    kinds = [(e.kind, e.payload.get("to")) for e in events(request) if e.kind in ("approve", "complete")]
    assert kinds == [("approve", "in_progress"), ("complete", "completed")]


# --- rectification -------------------------------------------------------------------------------


def test_rectification_is_a_task_carrying_the_correction_until_staff_close_it(app):
    tenant = make_tenant()
    staff = make_user(tenant)
    request = make_request(tenant, "rectification", details=CORRECTION)
    fulfil(request, "test")

    (task,) = tasks_of(request)
    assert task.kind == "rectify" and request.reference in task.title
    assert keyring().decrypt_text(task.details_enc) == CORRECTION and CORRECTION not in task.details_enc
    assert request.status == "in_progress"
    fulfil(request, "test")  # asked again: still one task
    assert len(tasks_of(request)) == 1

    close_task(task, f"user:{staff.id}", "Surname corrected in the CRM and the billing system.")
    db.session.commit()
    assert (request.status, request.outcome) == ("completed", "complied")
    assert (task.done_by_id, task.note) == (staff.id, "Surname corrected in the CRM and the billing system.")
    (done,) = events(request, "task_done")
    assert "CRM" not in repr(done.payload) and messages(request, "completed")


def test_a_task_closes_once_and_only_with_a_note(app):
    request = make_request(make_tenant(), "rectification", details=CORRECTION)
    fulfil(request, "test")
    (task,) = tasks_of(request)
    with pytest.raises(ValidationError) as caught:
        close_task(task, "user:1", "   ")
    assert caught.value.details == {"field": "note"} and request.status == "in_progress"
    close_task(task, "token:3", "done")
    with pytest.raises(Conflict):
        close_task(task, "token:3", "again")


def test_a_rectification_without_a_correction_asks_staff_to_ask(app):
    request = make_request(make_tenant(), "rectification")
    fulfil(request, "test")
    (task,) = tasks_of(request)
    assert "ask the subject what to correct" in keyring().decrypt_text(task.details_enc)


# --- discovery preview ---------------------------------------------------------------------------


def test_preview_counts_the_subjects_rows_per_table(acme, sample):
    alice = sample.subject("alice@example.com")
    request = make_request(acme, "access", phone=alice.phone)
    found = {row["table"]: row["rows"] for row in preview_request(request) if row["source"] == "app"}
    assert found == {table: len(alice.rows[table]) for table in TABLES}


def test_preview_without_a_data_map_says_how_to_add_one(app):
    request = make_request(make_tenant("bare"), "access")
    with pytest.raises(ConfigurationError) as caught:
        preview_request(request)
    assert "this tenant has no data map yet; add one with `dsar tenants create bare --datamap FILE`" \
        in caught.value.message
