"""Erasure requests: scheduled with a grace period, executed by ``execute-erasures`` exactly as
mapped (SPEC §3, §6, §7), on SQLite and PostgreSQL on both sides."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa

from dsar.errors import Conflict
from dsar.extensions import db
from dsar.jobs.registry import JobContext
from dsar.keyring import keyring
from dsar.models import Task, utcnow
from dsar.services import erasure_requests as erasures, lifecycle
from dsar.services.fulfilment import execute_erasures
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.downloads.fixtures import events, make_request, messages, write_datamap
from tests.factories import make_tenant
from tests.sample_app_db import TABLES, sample_datamap_yaml, snapshot

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

TAX = "Tax law: legal obligation, Art. 17(3)(b)"
BILLING = """\
  - name: billing
    url: ${BILLING_DB_URL}
    recipients: [Stripe, Acme Accounting]
    tables:
      - {name: payments, primary_key: id, identity: {email: email}}
"""
UNREACHABLE = "postgresql+psycopg://billing:hunter2@127.0.0.1:1/billing"


def schedule(tenant, **options):
    request = make_request(tenant, "erasure", **options)
    fulfil(request, "test")
    return request


def run(now: datetime, **options) -> JobContext:
    ctx = JobContext(now=now, **options)
    execute_erasures(ctx)
    db.session.expire_all()
    return ctx


def due(request) -> datetime:
    return request.erasure_at + timedelta(minutes=1)


def rows_by_id(snap, table):
    return {row[0]: row for row in snap[table]}


def mail_text(request, template: str) -> str:
    (message,) = messages(request, template)
    return keyring().decrypt_text(message.body_text_enc)


# --- scheduling ----------------------------------------------------------------------------------


def test_scheduled_after_the_grace_period_and_the_subject_is_told_how_to_cancel(acme, sample):
    before = utcnow()
    request = make_request(acme, "erasure")
    fulfil(request, "test")
    after = utcnow()
    assert request.status == "scheduled"
    assert lifecycle.erasure_execution_at(request, acme, before) <= request.erasure_at \
        <= lifecycle.erasure_execution_at(request, acme, after)
    assert request.erasure_at >= before + timedelta(days=min(acme.grace_days, 28))
    assert "/r/" + request.reference in mail_text(request, "erasure_scheduled")  # the status page cancels


def test_a_grace_period_past_the_legal_deadline_ends_on_the_deadline(acme, sample):
    acme.grace_days = 60
    db.session.commit()
    request = schedule(acme)
    assert request.erasure_at == datetime.combine(request.due_date, time.min, tzinfo=timezone.utc)


@pytest.mark.parametrize("who", ["subject", "staff"])
def test_a_cancelled_erasure_never_runs(acme, sample, who):
    request = schedule(acme)
    if who == "subject":
        lifecycle.withdraw(request, "subject")
    else:
        lifecycle.cancel(request, "user:1", "the subject called to keep the account")
    db.session.commit()
    at = request.erasure_at or utcnow()
    before = snapshot(sample.url)
    ctx = run(at + timedelta(days=400))
    assert request.status == "withdrawn" and snapshot(sample.url) == before and "requests" not in ctx.stats


def test_a_legal_hold_blocks_scheduling_with_its_reason(acme, sample):
    request = make_request(acme, "erasure")
    lifecycle.set_legal_hold(request, "user:1", on=True, reason="litigation 2025-17 (court order)")
    db.session.commit()
    with pytest.raises(Conflict) as caught:
        fulfil(request, "test")
    assert "litigation 2025-17 (court order)" in caught.value.message
    db.session.expire_all()
    assert request.status == "verified" and request.erasure_at is None


def test_a_legal_hold_blocks_execution_with_its_reason(acme, sample):
    request = schedule(acme)
    lifecycle.set_legal_hold(request, "user:1", on=True, reason="tax audit 2025")
    db.session.commit()
    before = snapshot(sample.url)
    for _ in range(2):  # every 15 minutes: the reason is recorded once
        ctx = run(due(request))
    assert ctx.stats == {"held": 1} and request.status == "scheduled" and snapshot(sample.url) == before
    (held,) = events(request, "erasure_held")
    assert "tax audit 2025" in held.reason

    lifecycle.set_legal_hold(request, "user:1", on=False)
    db.session.commit()
    run(due(request))
    assert request.status == "completed"


# --- execution -----------------------------------------------------------------------------------


def test_executed_exactly_as_mapped_and_nobody_else_is_touched(acme, sample):
    alice = sample.subject("alice@example.com")
    request = schedule(acme, phone=alice.phone)
    before = snapshot(sample.url)
    assert run(request.erasure_at - timedelta(minutes=1)).stats == {}  # not yet due
    assert snapshot(sample.url) == before

    ctx = run(due(request))
    after = snapshot(sample.url)
    assert ctx.errors == [] and ctx.stats["requests"] == 1
    for table in ("messages", "conversations", "support_tickets"):  # delete
        assert not set(rows_by_id(after, table)) & alice.rows[table], table
    for visit in alice.rows["widget_visits"]:  # anonymize {ip: ip_level_3, user_agent: null}
        new = rows_by_id(after, "widget_visits")[visit]
        assert new[1] is None and new[3] is None and new[2] != rows_by_id(before, "widget_visits")[visit][2]
    for invoice in alice.rows["invoices"]:  # retain: untouched
        assert rows_by_id(after, "invoices")[invoice] == rows_by_id(before, "invoices")[invoice]
    [account] = alice.rows["accounts"]  # kept as a shell for the retained invoices
    assert rows_by_id(after, "accounts")[account][2].startswith("erased-")
    for table in TABLES:  # everyone else, the namesake in business 7 included
        assert {r for r in before[table] if r[0] not in alice.rows[table]} == \
            {r for r in after[table] if r[0] not in alice.rows[table]}, table
    assert before["server_logs"] == after["server_logs"]


def test_the_request_records_the_result_tells_the_subject_and_lists_the_recipients(acme, sample):
    alice = sample.subject("alice@example.com")
    request = schedule(acme)
    run(due(request))

    assert (request.status, request.outcome) == ("completed", "complied_in_part")
    tables = {t["table"]: t for t in request.result["erasure"]["tables"]}
    assert tables["messages"]["action"] == "delete" and tables["messages"]["rows"] == len(alice.rows["messages"])
    assert tables["invoices"]["action"] == "retain" and tables["invoices"]["basis"] == TAX
    assert tables["invoices"]["until"] is not None
    letter = mail_text(request, "erasure_done")
    assert TAX in letter and "messages" in letter
    tasks = db.session.execute(sa.select(Task).where(Task.request_id == request.id)).scalars().all()
    assert sorted(t.title for t in tasks) == [f"Tell {name} about the erasure of {request.reference} (Art. 19)"
                                              for name in ("SendGrid", "Stripe")]
    assert all(t.kind == "notify_recipient" and t.done_at is None for t in tasks)


def test_nothing_retained_is_complied_in_whole(acme, sample, datamap_dir):
    text = sample_datamap_yaml(sample.url)
    retain = '{retain: {basis: "Tax law: legal obligation, Art. 17(3)(b)", until: 7 years, from: issued_at}}'
    assert retain in text
    write_datamap(datamap_dir, text.replace(retain, "{anonymize: {billing_name: redact}}"))
    request = schedule(acme)
    run(due(request))
    assert (request.status, request.outcome) == ("completed", "complied")
    assert "We kept nothing" in mail_text(request, "erasure_done")


def test_a_second_run_changes_nothing(acme, sample):
    request = schedule(acme)
    at = due(request)
    run(at)
    erased, completed_at = snapshot(sample.url), request.completed_at
    ctx = run(at + timedelta(minutes=15))
    assert snapshot(sample.url) == erased and "requests" not in ctx.stats
    assert request.completed_at == completed_at and len(messages(request, "erasure_done")) == 1
    assert len(events(request, "complete")) == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(Task)).scalar_one() == 2


def test_a_run_that_crashed_after_erasing_is_executed_again_with_a_true_letter(acme, sample, monkeypatch):
    alice = sample.subject("alice@example.com")
    request = schedule(acme)

    def crash(*args, **kwargs):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(erasures, "_record", crash)
    with pytest.raises(RuntimeError):
        run(due(request))
    db.session.rollback()
    erased = snapshot(sample.url)
    assert not set(rows_by_id(erased, "messages")) & alice.rows["messages"]  # the erasure itself committed
    assert request.status == "scheduled"

    monkeypatch.undo()
    run(due(request))
    assert snapshot(sample.url) == erased  # nothing more to change
    assert (request.status, request.outcome) == ("completed", "complied_in_part")
    tables = {t["table"]: t for t in request.result["erasure"]["tables"]}
    assert tables["messages"]["rows"] == len(alice.rows["messages"]) and tables["invoices"]["basis"] == TAX
    assert TAX in mail_text(request, "erasure_done")


def test_a_source_that_is_down_erases_nothing_anywhere_then_the_retry_succeeds(
        acme, sample, datamap_dir, monkeypatch):
    engine = sa.create_engine(sample.url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE payments (id INTEGER PRIMARY KEY, email VARCHAR(255))"))
        conn.execute(sa.text("INSERT INTO payments VALUES (1, 'alice@example.com'), (2, 'bob@example.com')"))
    engine.dispose()
    write_datamap(datamap_dir, sample_datamap_yaml(sample.url) + BILLING)
    monkeypatch.setenv("BILLING_DB_URL", UNREACHABLE)
    request = schedule(acme)
    before = snapshot(sample.url)

    ctx = run(due(request))
    assert request.status == "scheduled" and snapshot(sample.url) == before  # the app source too
    assert len(ctx.errors) == 1 and request.reference in ctx.errors[0] and "hunter2" not in ctx.errors[0]
    (failed,) = events(request, "fulfilment_failed")
    assert failed.payload == {"step": "erasure", "code": "source_unavailable", "source": "billing"}
    assert failed.actor == "job:execute-erasures" and "alice" not in (failed.reason or "").lower()

    monkeypatch.setenv("BILLING_DB_URL", sample.url)
    ctx = run(due(request) + timedelta(minutes=15))  # the next run
    assert ctx.errors == [] and request.status == "completed"
    with sa.create_engine(sample.url).connect() as conn:
        assert conn.execute(sa.text("SELECT id FROM payments")).scalars().all() == [2]
    titles = db.session.execute(sa.select(Task.title).where(Task.request_id == request.id)).scalars().all()
    assert len(titles) == 3  # Stripe once, SendGrid, Acme Accounting


def test_a_dry_run_counts_and_writes_nothing(acme, sample):
    alice = sample.subject("alice@example.com")
    request = schedule(acme)
    before = snapshot(sample.url)
    ctx = run(due(request), dry_run=True)
    assert snapshot(sample.url) == before and request.status == "scheduled" and request.result is None
    assert ctx.stats["requests"] == 1 and ctx.stats["retain"] == len(alice.rows["invoices"])
    assert ctx.stats["delete"] >= len(alice.rows["messages"])
    assert not events(request, "complete") and not messages(request, "erasure_done")


def test_the_job_keeps_to_the_tenant_it_is_run_for(acme, sample):
    request = schedule(acme)
    other = make_tenant("other")
    before = snapshot(sample.url)
    run(due(request), tenant_id=other.id)
    assert request.status == "scheduled" and snapshot(sample.url) == before
    run(due(request), tenant_id=acme.id)
    assert request.status == "completed"
