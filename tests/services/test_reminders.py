"""The sla-reminders job: N days before, on the day, the daily overdue digest; each once."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from dsar.errors import ConfigurationError
from dsar.extensions import db
from dsar.jobs.registry import JobContext, get_job
from dsar.jobs.runner import run_job
from dsar.keyring import keyring
from dsar.models import JobRun, OutboxMessage, Reminder, RightsRequest
from dsar.services import lifecycle
from dsar.services.reminders import rule_for, sla_reminders
from tests.factories import make_tenant, make_user

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

TODAY = date(2025, 6, 16)   # a Monday
DPO = "dpo@example.com"


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=timezone.utc)


def new_request(tenant, received: date, **fields) -> RightsRequest:
    request = lifecycle.create_request(tenant, type="access", subject=lifecycle.Subject(email="s@example.com"),
                                       received_at=at(received), **fields)
    lifecycle.verify(request, "subject")
    db.session.commit()
    return request


def run(tenant=None, day: date = TODAY, *, dry_run: bool = False) -> JobContext:
    ctx = JobContext(now=at(day, 9), dry_run=dry_run, tenant_id=tenant.id if tenant else None)
    sla_reminders(ctx)
    return ctx


def sent() -> list[tuple[str, str, str]]:
    """(template, recipient, text) of every staff message queued, oldest first."""
    ring = keyring()
    rows = db.session.execute(select(OutboxMessage).where(OutboxMessage.template.in_(("reminder", "overdue_digest")))
                              .order_by(OutboxMessage.id)).scalars()
    return [(row.template, ring.decrypt_text(row.to_enc), ring.decrypt_text(row.body_text_enc)) for row in rows]


@pytest.fixture
def tenant(app):
    return make_tenant(regime="gdpr", country="GB", dpo_email=DPO)


@pytest.fixture
def queue_of_five(tenant):
    """Targets (GB, one calendar month): 7 and 2 days ahead, today, 3 days overdue, 15 days ahead."""
    return {
        "in 7": new_request(tenant, date(2025, 5, 23)),    # due Mon 23 Jun
        "in 2": new_request(tenant, date(2025, 5, 18)),    # due Wed 18 Jun
        "today": new_request(tenant, date(2025, 5, 16)),   # due Mon 16 Jun
        "overdue": new_request(tenant, date(2025, 5, 13)), # due Fri 13 Jun
        "later": new_request(tenant, date(2025, 6, 1)),    # due Tue 1 Jul
    }


@pytest.mark.parametrize(("days_left", "rule"), [
    (20, None), (8, None), (7, 7), (6, 7), (3, 7), (2, 2), (1, 2), (0, 0), (-1, None),
])
def test_rule_for_days_left(days_left, rule):
    assert rule_for(days_left, [7, 2]) == rule


def test_each_reminder_and_the_digest_go_once(tenant, queue_of_five):
    requests = queue_of_five
    ctx = run(tenant)
    assert ctx.stats == {"reminders: 7 days before": 1, "reminders: 2 days before": 1,
                         "reminders: due today": 1, "overdue digests": 1, "overdue requests listed": 1}
    messages = sent()
    assert [(template, to) for template, to, _ in messages] == [("reminder", DPO)] * 3 + [("overdue_digest", DPO)]
    expected = [(requests["in 7"], "in 7 days"), (requests["in 2"], "in 2 days"), (requests["today"], "today")]
    for (_, _, text), (request, when) in zip(messages, expected):
        assert request.reference in text and f"{when}." in text
        assert f"/dashboard/requests/{request.reference}" in text
    digest = messages[3][2]
    assert requests["overdue"].reference in digest and "3 days overdue" in digest
    assert all(requests["later"].reference not in text for _, _, text in messages)
    assert run(tenant).stats == {}          # the same hour again: nothing new
    assert len(sent()) == 4


def test_the_next_day_brings_only_the_new_digest(tenant, queue_of_five):
    run(tenant)
    ctx = run(tenant, TODAY + timedelta(days=1))
    assert ctx.stats == {"overdue digests": 1, "overdue requests listed": 2}
    digest = sent()[-1][2]
    assert queue_of_five["overdue"].reference in digest and queue_of_five["today"].reference in digest


def test_dry_run_counts_and_sends_nothing(tenant, queue_of_five):
    ctx = run(tenant, dry_run=True)
    assert ctx.stats["reminders: 7 days before"] == 1 and ctx.stats["overdue digests"] == 1
    assert sent() == [] and db.session.execute(select(Reminder)).first() is None
    assert run(tenant).stats == ctx.stats   # the real run still has everything to send


def test_a_missed_day_sends_the_nearest_rule_only(tenant):
    request = new_request(tenant, date(2025, 5, 21))   # due Sat 21 Jun -> Mon 23 Jun
    assert run(tenant, date(2025, 6, 18)).stats == {"reminders: 7 days before": 1}   # 5 days left
    assert run(tenant, date(2025, 6, 19)).stats == {}                                  # 4 days left
    assert run(tenant, date(2025, 6, 22)).stats == {"reminders: 2 days before": 1}   # 1 day left
    assert [r.kind for r in db.session.execute(select(Reminder).order_by(Reminder.id)).scalars()] == [
        "before:7:2025-06-23", "before:2:2025-06-23"]
    assert request.reference in sent()[-1][2]


def test_a_moved_target_arms_the_reminders_again(tenant):
    request = new_request(tenant, date(2025, 5, 18))   # due Wed 18 Jun
    assert run(tenant).stats == {"reminders: 2 days before": 1}
    lifecycle.approve(request, "user:1")
    lifecycle.extend(request, "user:1", "complex", now=at(TODAY))   # to Mon 18 Aug
    db.session.commit()
    assert run(tenant, date(2025, 8, 11)).stats == {"reminders: 7 days before": 1}


def test_paused_and_closed_requests_get_no_reminders(tenant):
    paused = new_request(tenant, date(2025, 5, 18))
    lifecycle.pause(paused, "user:1", "need ID", now=at(date(2025, 6, 1)))
    closed = new_request(tenant, date(2025, 5, 13))
    lifecycle.deny(closed, "user:1", "unfounded")
    db.session.commit()
    assert run(tenant).stats == {}
    assert sent() == []


def test_the_assignee_is_reminded_and_the_dpo_gets_the_digest(tenant):
    user = make_user(tenant, email="agent@example.com")
    soon = new_request(tenant, date(2025, 5, 18))
    late = new_request(tenant, date(2025, 5, 13))
    for request in (soon, late):
        lifecycle.assign(request, user, "user:1")
    db.session.commit()
    run(tenant)
    assert [(template, to) for template, to, _ in sent()] == [("reminder", "agent@example.com"),
                                                              ("overdue_digest", DPO)]


def test_without_any_address_nothing_is_claimed(app):
    tenant = make_tenant(regime="gdpr", country="GB")
    new_request(tenant, date(2025, 5, 18))
    new_request(tenant, date(2025, 5, 13))
    ctx = run(tenant)
    assert ctx.stats == {"skipped: no one to remind (no assignee, DPO or contact address)": 2}
    assert db.session.execute(select(Reminder)).first() is None
    tenant.dpo_email = DPO
    db.session.commit()
    assert run(tenant).stats["reminders: 2 days before"] == 1   # sent once someone can read it


def test_a_reminder_claimed_by_another_run_is_not_sent_again(tenant):
    request = new_request(tenant, date(2025, 5, 18))
    db.session.add(Reminder(request_id=request.id, kind="before:2:2025-06-18", sent_at=at(TODAY, 8)))
    db.session.commit()
    assert run(tenant).stats == {}
    assert sent() == []


def test_tenant_scope_and_custom_reminder_days(tenant):
    other = make_tenant(regime="gdpr", country="GB", dpo_email="other@example.com")
    other.settings = {"reminder_days": [14, 3]}
    db.session.commit()
    new_request(tenant, date(2025, 5, 18))                 # 2 days left
    theirs = new_request(other, date(2025, 5, 19))         # due Thu 19 Jun: 3 days left
    assert run(tenant).stats == {"reminders: 2 days before": 1}
    assert [to for _, to, _ in sent()] == [DPO]
    assert run(other).stats == {"reminders: 3 days before": 1}
    assert theirs.reference in sent()[-1][2]
    everyone = run().stats                                # every tenant, each on its own run: all sent already
    assert everyone == {"tenants": 2, f"tenant {tenant.slug}: rows": 0, f"tenant {other.slug}: rows": 0}


def test_bad_reminder_days_fail_clearly(tenant):
    tenant.settings = {"reminder_days": [7, "two"]}
    db.session.commit()
    with pytest.raises(ConfigurationError, match="reminder_days"):
        run(tenant)


def test_registered_and_recorded_by_the_runner(tenant, queue_of_five):
    assert get_job("sla-reminders").schedule == {"trigger": "cron", "minute": 15}
    record = run_job("sla-reminders", tenant_id=tenant.id, now=at(TODAY, 9))
    assert record.status == "succeeded" and record.stats["overdue digests"] == 1


def test_two_runs_at_once_send_each_reminder_once(app, tenant, queue_of_five):
    """Two workers (threads with their own sessions) race over the same queue."""
    start = threading.Barrier(2)
    stats, failures = [], []
    tenant_id = tenant.id   # read here: the fixture's row belongs to this thread's session

    def worker():
        with app.app_context():
            try:
                start.wait(timeout=10)
                ctx = JobContext(now=at(TODAY, 9), tenant_id=tenant_id)
                sla_reminders(ctx)
                stats.append(ctx.stats)
            except Exception as error:  # surfaced below: a thread's assertion would be lost
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    total = {}
    for counts in stats:
        for rule, n in counts.items():
            total[rule] = total.get(rule, 0) + n
    assert total == {"reminders: 7 days before": 1, "reminders: 2 days before": 1,
                     "reminders: due today": 1, "overdue digests": 1, "overdue requests listed": 1}
    assert len(sent()) == 4


def test_one_tenants_bad_setting_fails_only_its_own_run(tenant, queue_of_five):
    """A run over every tenant runs each tenant on its own record: the broken one fails, the
    others still get their reminders, and each tenant's record shows the run that touched it."""
    broken = make_tenant("broken", regime="gdpr", country="GB", dpo_email="dpo@broken.example")
    broken.settings = {"reminder_days": [7, "two"]}
    new_request(broken, date(2025, 5, 23))
    db.session.commit()

    run_all = run_job("sla-reminders", now=at(TODAY, 9))

    per_tenant = {r.tenant_id: r for r in db.session.execute(select(JobRun).where(
        JobRun.job == "sla-reminders", JobRun.tenant_id.is_not(None))).scalars()}
    assert per_tenant[tenant.id].status == "succeeded" and per_tenant[tenant.id].stats["reminders: due today"] == 1
    assert per_tenant[broken.id].status == "failed" and "reminder_days" in per_tenant[broken.id].error
    assert run_all.status == "failed" and f"tenant broken: run {per_tenant[broken.id].id} failed" in run_all.error
    assert run_all.stats["tenants"] == 2
    assert [template for template, to, _ in sent() if to == DPO].count("reminder") == 3
