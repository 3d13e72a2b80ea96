"""The transactional outbox: a message is written with the change it reports, sent after.

``queue`` adds an ``OutboxMessage`` (recipient and bodies encrypted) to the caller's
transaction. When that transaction commits, the new messages are delivered at once; if it
rolls back, they never existed. A send that fails stays ``pending`` with ``last_error``
and a ``next_attempt_at`` that backs off exponentially; the ``send-mail`` job retries it,
and after ``MAX_ATTEMPTS`` it is ``failed`` for staff to see.

What acts for the recipient (codes and links, ``messages.SECRET_CONTEXT``) is listed in an
``OutboxSecret`` beside the message. The dashboard shows a copy with those values hidden
(``readable_copy``); once a real mail server (smtp, sendgrid) has the message, the stored
bodies are rewritten without them and the list is deleted, so no stored copy keeps a secret.
Only with the local ``outbox`` backend — where nothing leaves the machine — may an admin
see them, marked as such.

Each delivery first *claims* its message with one conditional UPDATE that pushes
``next_attempt_at`` a lease into the future, so the after-commit delivery, the job and a
second worker never send the same message twice at the same time, and no database lock
is held while talking to a mail server.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from markupsafe import escape

from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import Session

from dsar.extensions import db
from dsar.jobs.registry import JobContext, job
from dsar.keyring import keyring
from dsar.mail.backends import Backend, DeliveryError, Envelope, backend_from_config
from dsar.mail.messages import RenderedMessage
from dsar.services.checkpoint import checkpoint
from dsar.models import OutboxMessage, OutboxSecret, Tenant, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
LEASE = timedelta(minutes=5)      # a claimed message is not claimed again for this long
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
BATCH = 100
_NEW = "dsar.outbox.new"          # Session.info key: ids queued in the open transaction
_COMMITTED = "dsar.outbox.committed"  # ids whose transaction committed, not yet delivered


def queue(tenant_id: int | None, template: str, to: str, message: RenderedMessage, *,
          request_id: int | None = None, send_after_commit: bool = True) -> OutboxMessage:
    """Add ``message`` for ``to`` to the current transaction; it is sent once that commits.

    ``send_after_commit=False`` leaves it to the ``send-mail`` job (within a minute): for an
    answer that must take as long whether or not a message went (the portal's find form),
    since a send inside the request would show in its response time."""
    ring = keyring()
    row = OutboxMessage(tenant_id=tenant_id, request_id=request_id, template=template,
                        to_enc=ring.encrypt_text(to), subject=message.subject[:300],
                        body_text_enc=ring.encrypt_text(message.text),
                        body_html_enc=ring.encrypt_text(message.html),
                        status="pending", attempts=0, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    if message.secrets:
        db.session.add(OutboxSecret(message_id=row.id, values_enc=ring.encrypt_text(json.dumps(message.secrets))))
    if send_after_commit:
        db.session.info.setdefault(_NEW, []).append(row.id)
    return row


HIDDEN = "[hidden: acts for the recipient]"
SHOWN = "[local outbox only, acts for the recipient: {value}]"


@dataclass(frozen=True)
class ReadableCopy:
    text: str | None
    revealed: bool  # secrets shown (admin, local outbox backend)


def secrets_of(session: Session, message: OutboxMessage) -> list[str]:
    row = session.get(OutboxSecret, message.id)
    return json.loads(keyring().decrypt_text(row.values_enc)) if row is not None else []


def _replace(text: str | None, secrets: list[str], replacement) -> str | None:
    if text is None:
        return None
    for value in secrets:
        text = text.replace(value, replacement(value))
        text = text.replace(str(escape(value)), replacement(value))
    return text


def readable_copy(session: Session, message: OutboxMessage, *, reveal: bool) -> ReadableCopy:
    """The plain-text body for staff: secrets hidden, or (``reveal``) shown and marked."""
    secrets = secrets_of(session, message)
    text = keyring().decrypt_text(message.body_text_enc)
    if reveal and secrets:
        return ReadableCopy(_replace(text, secrets, lambda value: SHOWN.format(value=value)), True)
    return ReadableCopy(_replace(text, secrets, lambda value: HIDDEN), False)


def _forget_secrets(session: Session, message: OutboxMessage) -> None:
    """The mail has left: keep only a copy without what acts for the recipient."""
    secrets = secrets_of(session, message)
    if not secrets:
        return
    ring = keyring()
    message.body_text_enc = ring.encrypt_text(_replace(ring.decrypt_text(message.body_text_enc), secrets,
                                                       lambda value: HIDDEN))
    message.body_html_enc = ring.encrypt_text(_replace(ring.decrypt_text(message.body_html_enc), secrets,
                                                       lambda value: HIDDEN))
    session.delete(session.get(OutboxSecret, message.id))


@event.listens_for(Session, "after_commit")
def _mark_committed(session: Session) -> None:
    ids = session.info.pop(_NEW, None)
    if ids:
        session.info.setdefault(_COMMITTED, []).extend(ids)


@event.listens_for(Session, "after_transaction_end")
def _deliver_after_commit(session: Session, transaction) -> None:
    """Deliver once the committed transaction has handed its connection back: delivering
    inside ``after_commit`` would hold that connection while taking a second one, and
    enough concurrent requests doing so exhaust the pool and deadlock (seen under load)."""
    if transaction.parent is not None:
        return
    ids = session.info.pop(_COMMITTED, None)
    if not ids or not has_app_context():
        return
    try:
        deliver(ids)
    except Exception:  # the caller's work is committed; the send-mail job will retry
        log.exception("delivery after commit failed; %s message(s) left for the send-mail job", len(ids))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_NEW, None)


def deliver(ids: Iterable[int], *, now: datetime | None = None, backend: Backend | None = None) -> dict[str, int]:
    """Try to send each message in ``ids`` that is due; return counts by outcome.

    Runs in its own short-lived session, so it is safe inside an ``after_commit`` hook and
    never disturbs the caller's unit of work. Never raises for a failed send.
    """
    backend = backend or backend_from_config(current_app.config)
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    with Session(db.engine, expire_on_commit=False) as session:
        for message_id in ids:
            outcome = _deliver_one(session, message_id, now or utcnow(), backend)
            counts[outcome] += 1
    return counts


def _deliver_one(session: Session, message_id: int, now: datetime, backend: Backend) -> str:
    if not _claim(session, message_id, now):
        return "skipped"
    message = session.get(OutboxMessage, message_id)
    try:
        backend.send(envelope_of(session, message))
    except DeliveryError as exc:
        _record_failure(message, str(exc), now)
        checkpoint("batch", session=session)
        log.warning("mail %s (%s) not sent, attempt %s: %s", message.id, message.template, message.attempts, exc)
        return "failed"
    except Exception as exc:  # a bug in a backend must not lose the message either
        _record_failure(message, f"{type(exc).__name__}: unexpected error", now)
        checkpoint("batch", session=session)
        log.exception("mail %s (%s) not sent: unexpected error", message.id, message.template)
        return "failed"
    message.status, message.sent_at = backend.delivered_status, now
    message.last_error, message.next_attempt_at = None, None
    if backend.delivered_status == "sent":
        _forget_secrets(session, message)
    checkpoint("batch", session=session)  # one message's outcome, before the next is tried
    log.info("mail %s (%s) %s through %s", message.id, message.template, message.status, backend.name)
    return "sent"


def _claim(session: Session, message_id: int, now: datetime) -> bool:
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    checkpoint("lease", session=session)  # the claim is a lease: other senders must see it
    return claimed == 1


def _record_failure(message: OutboxMessage, error: str, now: datetime) -> None:
    message.last_error = error
    if message.attempts >= MAX_ATTEMPTS:
        message.status, message.next_attempt_at = "failed", None
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, at most six hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def envelope_of(session: Session, message: OutboxMessage) -> Envelope:
    """The decrypted message as the backend sends it, from the tenant's name."""
    ring = keyring()
    tenant = session.get(Tenant, message.tenant_id) if message.tenant_id else None
    return Envelope(to=ring.decrypt_text(message.to_enc), subject=message.subject,
                    text=ring.decrypt_text(message.body_text_enc) or "",
                    html=ring.decrypt_text(message.body_html_enc),
                    from_address=current_app.config["DSAR_MAIL_FROM"],
                    from_name=tenant.name if tenant else None)


def _due(now: datetime, tenant_id: int | None = None) -> list:
    """Conditions selecting the pending messages whose next attempt is due."""
    condition = [OutboxMessage.status == "pending",
                 or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)]
    if tenant_id is not None:
        condition.append(OutboxMessage.tenant_id == tenant_id)
    return condition


@job("send-mail")
def send_mail(ctx: JobContext) -> None:
    condition = _due(ctx.now, ctx.tenant_id)
    if ctx.dry_run:
        ctx.count("due", db.session.execute(select(func.count()).where(*condition)
                                            .select_from(OutboxMessage)).scalar_one())
        return
    checkpoint("batch")  # the delivery session must not wait behind ours
    backend = backend_from_config(current_app.config)
    last_id, done = 0, 0
    while True:
        ids = db.session.execute(select(OutboxMessage.id).where(*condition, OutboxMessage.id > last_id)
                                 .order_by(OutboxMessage.id).limit(BATCH)).scalars().all()
        checkpoint("batch")  # end the read transaction: deliveries commit in their own session
        if not ids:
            return
        for outcome, count in deliver(ids, now=ctx.now, backend=backend).items():
            ctx.count(outcome, count)
        last_id, done = ids[-1], done + len(ids)
        ctx.progress("messages tried", done, None)
