"""Deadline reminders to staff: the ``sla-reminders`` job (SPEC §7).

Rules, per tenant (its ``reminder_days`` setting, default 7 and 2):

* **before:N** — N days before a request's target date, to its assignee, or else the
  tenant's DPO address (or contact address). When the job missed a day (a stopped worker),
  only the nearest rule still ahead is sent: at 5 days left with rules 7 and 2, "7 days"
  goes out then, "2 days" later; no burst of stale reminders.
* **due** — on the target date itself.
* **overdue digest** — once a day, one message listing every overdue request, to the DPO
  address (or contact address; without either, each assignee gets their own list).

Each reminder goes once: a :class:`~dsar.models.Reminder` row is inserted *before* the
message is queued, in the same transaction, and its unique key (request, kind) makes a
second, concurrent run's insert do nothing, so that run sends nothing. The kind names the
target date (``before:7:2025-03-28``), so an extension or a pause that moves the target
arms the reminders again for the new date. Paused requests (clock stopped) get none.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, timedelta, timezone

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from dsar.errors import ConfigurationError
from dsar.extensions import db
from dsar.jobs.registry import JobContext, job
from dsar.jobs.runner import for_each_tenant
from dsar.models import Membership, Reminder, RightsRequest, Tenant, User, for_tenant
from dsar.services.checkpoint import checkpoint
from dsar.services.notifications import notify_staff, public_url
from dsar.services.queue import RUNNING_STATES

#: States whose requests staff must still act on before the target date (a scheduled
#: erasure runs by itself before its deadline; a paused one waits for the subject).
REMINDED_STATES = ("unverified", "verified", "in_progress")
BATCH = 200


@job("sla-reminders")
def sla_reminders(ctx: JobContext) -> None:
    for_each_tenant(ctx, "sla-reminders", _remind_tenant)


def _remind_tenant(ctx: JobContext, tenant: Tenant) -> None:
    today = ctx.now.astimezone(timezone.utc).date()
    _remind_before_and_on_the_day(ctx, tenant, today)
    _overdue_digest(ctx, tenant, today)


def reminder_days(tenant: Tenant) -> list[int]:
    """The tenant's ``reminder_days``, largest first; ConfigurationError if not whole days > 0."""
    days = tenant.setting("reminder_days")
    if not isinstance(days, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                                             for n in days):
        raise ConfigurationError(f"tenant {tenant.slug}: reminder_days must be a list of whole days above 0, "
                                 f"not {days!r}")
    return sorted(set(days), reverse=True)


def rule_for(days_left: int, days: Sequence[int]) -> int | None:
    """The reminder due at ``days_left``: 0 on the day, else the nearest N >= days_left."""
    if days_left == 0:
        return 0
    ahead = [n for n in days if n >= days_left > 0]
    return min(ahead) if ahead else None


# --- before the target date, and on the day -------------------------------------------------------


def _remind_before_and_on_the_day(ctx: JobContext, tenant: Tenant, today: date) -> None:
    days = reminder_days(tenant)
    horizon = today + timedelta(days=max(days, default=0))
    query = (for_tenant(RightsRequest, tenant.id)
             .where(RightsRequest.status.in_(REMINDED_STATES),
                    RightsRequest.target_date >= today, RightsRequest.target_date <= horizon))
    done = 0
    for batch in _batches(query):
        emails = _assignee_emails(tenant, batch)
        for request in batch:
            days_left = (request.target_date - today).days
            rule = rule_for(days_left, days)
            if rule is None:
                continue
            label = "reminders: due today" if rule == 0 else f"reminders: {rule} days before"
            kind = f"{'due' if rule == 0 else f'before:{rule}'}:{request.target_date.isoformat()}"
            to = emails.get(request.assignee_id) or tenant.dpo_email or tenant.contact_email
            if not to:
                ctx.count("skipped: no one to remind (no assignee, DPO or contact address)", 1)
            elif _send_once(ctx, request.id, kind):
                ctx.count(label, 1)
                if not ctx.dry_run:
                    notify_staff(tenant, to, "reminder", reference=request.reference, days_left=days_left,
                                  due_date=request.target_date, request_id=request.id,
                                  request_url=_url("dashboard.request_detail", reference=request.reference))
        checkpoint("batch")
        done += len(batch)
        ctx.progress(f"reminders for {tenant.slug}", done, None)


# --- the daily overdue digest -----------------------------------------------------------------------


def _overdue_digest(ctx: JobContext, tenant: Tenant, today: date) -> None:
    """One digest a day per recipient; a request is listed once a day (``overdue:<day>``)."""
    query = (for_tenant(RightsRequest, tenant.id)
             .where(RightsRequest.status.in_(RUNNING_STATES), RightsRequest.target_date < today))
    kind = f"overdue:{today.isoformat()}"
    lists: dict[str, list[dict]] = defaultdict(list)
    for batch in _batches(query):
        emails = _assignee_emails(tenant, batch)
        for request in batch:
            to = tenant.dpo_email or tenant.contact_email or emails.get(request.assignee_id)
            if not to:
                ctx.count("skipped: no one to remind (no assignee, DPO or contact address)", 1)
            elif _send_once(ctx, request.id, kind):
                lists[to].append({"reference": request.reference, "type": request.type,
                                  "due_date": request.target_date,
                                  "days_overdue": (today - request.target_date).days})
    for to, requests in lists.items():
        ctx.count("overdue digests", 1)
        ctx.count("overdue requests listed", len(requests))
        if not ctx.dry_run:
            notify_staff(tenant, to, "overdue_digest", requests=requests,
                          dashboard_url=_url("dashboard.queue", overdue="1"))
    checkpoint("batch")


# --- sending once -----------------------------------------------------------------------------------


def _send_once(ctx: JobContext, request_id: int, kind: str) -> bool:
    """Claim reminder ``kind`` of the request; False if it was sent (or claimed) already.

    On a dry run nothing is written: True means it would be sent.
    """
    if ctx.dry_run:
        return not db.session.execute(select(exists().where(
            Reminder.request_id == request_id, Reminder.kind == kind))).scalar()
    values = {"request_id": request_id, "kind": kind, "sent_at": ctx.now}
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        claimed = db.session.execute(insert(Reminder).values(**values)
                                     .on_conflict_do_nothing(index_elements=["request_id", "kind"])
                                     .returning(Reminder.id)).scalar_one_or_none()
        return claimed is not None
    try:
        with db.session.begin_nested():
            db.session.add(Reminder(**values))
        return True
    except IntegrityError:
        return False


def _batches(query) -> Iterator[list[RightsRequest]]:
    """The query's requests in id order, ``BATCH`` at a time (keyset: no OFFSET rescans)."""
    last_id = 0
    while True:
        batch = list(db.session.execute(
            query.where(RightsRequest.id > last_id).order_by(RightsRequest.id).limit(BATCH)).scalars())
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _assignee_emails(tenant: Tenant, requests: Sequence[RightsRequest]) -> dict[int, str]:
    """E-mail of each active assignee who is still staff of the tenant."""
    ids = {r.assignee_id for r in requests if r.assignee_id}
    if not ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.email).join(Membership, Membership.user_id == User.id)
        .where(User.id.in_(ids), User.active.is_(True), Membership.tenant_id == tenant.id))
    return dict(rows.all())


def _url(endpoint: str, **values) -> str | None:
    """A dashboard link for the message, or None where this deployment has no such page."""
    try:
        return public_url(endpoint, **values)
    except BuildError:
        return None
