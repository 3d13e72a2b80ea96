"""Erasure requests: a cancellable grace period, then the data map's strategies (SPEC §3, §6).

This module owns the request's side (its state, audit trail, letter and recipient tasks);
erasing the rows is :mod:`dsar.fulfilment.erasure`, which knows nothing of requests or Flask.

``schedule`` starts the grace period (capped by the legal deadline) and tells the subject,
whose status page can cancel it; ``execute`` runs when it is due, from the
``execute-erasures`` job. A legal hold blocks both, with its reason.

Before anything is erased, a dry run reaches every source, so a source that is down stops
the erasure before any source was touched (SPEC §6 keeps one transaction per source; this
keeps a down source from leaving the subject half-erased). ``erase_subject`` is
idempotent, so a run that crashed after erasing but before recording is simply run again.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from dsar.datamap.model import DataMap
from dsar.errors import Conflict
from dsar.extensions import db
from dsar.files.deletions import FileJournal
from dsar.fulfilment.discovery import Identifiers
from dsar.fulfilment.erasure import TableOutcome, erase_subject
from dsar.keyring import keyring
from dsar.models import AuditEvent, RightsRequest, Task, for_tenant
from dsar.services import audit, lifecycle
from dsar.services.checkpoint import outside_effect
from dsar.services.notifications import notify_subject


def check_not_held(request: RightsRequest) -> None:
    """Conflict naming the hold's reason when a legal hold blocks the erasure."""
    if request.legal_hold:
        reason = request.legal_hold_reason or "no reason recorded"
        raise Conflict(f"erasure is blocked by a legal hold: {reason}", details={"legal_hold": reason})


def schedule(request: RightsRequest, actor: str, *, now: datetime | None = None) -> RightsRequest:
    """Start the grace period; the subject is told when, with the link that cancels it."""
    check_not_held(request)
    lifecycle.schedule_erasure(request, actor, now=now)
    notify_subject(request, "erasure_scheduled", erasure_at=request.erasure_at)
    return request


def due(now: datetime, *, tenant_id: int | None = None, held: bool = False) -> list[RightsRequest]:
    """Scheduled erasures whose time has come: free to run, or (``held``) under a legal hold."""
    query = sa.select(RightsRequest).where(
        RightsRequest.status == "scheduled", RightsRequest.erasure_at <= now,
        RightsRequest.legal_hold.is_(held))
    if tenant_id is not None:
        query = query.where(RightsRequest.tenant_id == tenant_id)
    return list(db.session.execute(query.order_by(RightsRequest.erasure_at, RightsRequest.id)).scalars())


def note_held(request: RightsRequest, actor: str) -> None:
    """Record once per hold that a due erasure waits for it (the job runs every 15 minutes)."""
    last = db.session.execute(
        for_tenant(AuditEvent, request.tenant_id)
        .where(AuditEvent.request_id == request.id, AuditEvent.kind.in_(("legal_hold_on", "erasure_held")))
        .order_by(AuditEvent.id.desc()).limit(1).with_only_columns(AuditEvent.kind)).scalar()
    if last != "erasure_held":
        audit.record(request.tenant_id, "erasure_held", actor, request=request,
                     reason=f"erasure is blocked by a legal hold: {request.legal_hold_reason}")


def execute(request: RightsRequest, datamap: DataMap, identifiers: Identifiers, *, actor: str,
            now: datetime, dry_run: bool = False) -> list[dict]:
    """Erase the subject as mapped, then complete the request with the result letter and
    one Art. 19 task per recipient; return the result per table. With ``dry_run`` only
    counts: nothing is written.

    A dry run over every source comes first: it is the plan, committed on the request
    before anything is erased, so a run that crashes mid-way still writes a true letter
    when it is run again (by then, erased rows can no longer be counted). It also
    reaches every source, so a source that is down (SourceUnavailable) stops the erasure
    before any source was touched.
    """
    check_not_held(request)
    if request.status != "scheduled":
        raise Conflict(f"cannot execute an erasure that is {request.status}", details={"status": request.status})
    key = keyring().tenant_hash_key(request.tenant_id)
    files = FileJournal(request.tenant_id, datamap, origin=f"erasure {request.reference}")
    dry = erase_subject(datamap, identifiers, hash_key=key, now=now, dry_run=True, files=files)
    plan = [_table_result(t) for t in dry.tables]
    if dry_run:
        return plan
    plan = _merged((request.result or {}).get("erasure_plan", []), plan)
    request.result = {"erasure_plan": plan}
    with outside_effect():  # the plan is committed before any row of the customer's database changes
        done = erase_subject(datamap, identifiers, hash_key=key, now=now, files=files)
    tables = _merged(plan, [_table_result(t) for t in done.tables])
    _record(request, datamap, tables, done.at, actor)
    return tables


def _merged(earlier: list[dict], later: list[dict]) -> list[dict]:
    """Per table, whichever attempt found more rows (a re-run finds what is left)."""
    best = {(t["source"], t["table"]): t for t in earlier}
    for table in later:
        key = (table["source"], table["table"])
        if key not in best or table["rows"] >= best[key]["rows"]:
            best[key] = table
    return list(best.values())


def _record(request: RightsRequest, datamap: DataMap, tables: list[dict], at: datetime, actor: str) -> None:
    recipients = list(dict.fromkeys(name for source in datamap.sources for name in source.recipients))
    letter = result_letter(tables)
    lifecycle.complete(request, actor, outcome="complied_in_part" if letter["retained"] else "complied",
                       result={"erasure": {"executed_at": at.isoformat(), "recipients": recipients,
                                           "tables": tables}})
    for recipient in recipients:
        _recipient_task(request, recipient, actor)
    notify_subject(request, "erasure_done", result=letter)


def _table_result(table: TableOutcome) -> dict:
    return {"source": table.source, "table": table.table, "label": table.label, "action": table.action,
            "rows": table.rows, "changed": table.changed, "deleted": table.deleted,
            "anonymized": table.anonymized, "columns": list(table.columns), "kept": table.kept,
            "kept_because": [list(pair) for pair in table.kept_because], "shared": table.shared,
            "basis": table.basis, "until": table.until.isoformat() if table.until else None,
            "files": table.files, "text": table.describe()}


def result_letter(tables: list[dict]) -> dict:
    """What the ``erasure_done`` message lists, by the data map's labels (never ``source.table``,
    never row counts or column names): per table what was done, in the letter's own words.

    ``erased``: ``[{"what", "action": "delete"|"anonymize", "kept_some"}]`` (``kept_some``: a
    few rows stayed because they also concern others or are held); ``retained``:
    ``[{"what", "basis", "until"}]``.
    """
    return {
        "erased": [{"what": t.get("label") or t["table"].replace("_", " "), "action": t["action"],
                    "kept_some": bool(t.get("kept"))}
                   for t in tables if t["action"] != "retain" and t["rows"]],
        "retained": [{"what": t.get("label") or t["table"].replace("_", " "), "basis": t["basis"],
                      "until": date.fromisoformat(t["until"]) if t["until"] else None}
                     for t in tables if t["action"] == "retain" and t["rows"]],
    }


def _recipient_task(request: RightsRequest, recipient: str, actor: str) -> None:
    """One Art. 19 task per recipient; never twice for the same request and recipient."""
    title = f"Tell {recipient} about the erasure of {request.reference} (Art. 19)"
    exists = db.session.execute(
        for_tenant(Task, request.tenant_id)
        .where(Task.request_id == request.id, Task.kind == "notify_recipient", Task.title == title)).first()
    if exists is None:
        db.session.add(Task(tenant_id=request.tenant_id, request=request, kind="notify_recipient", title=title))
        audit.record(request.tenant_id, "task_created", actor, request=request,
                     payload={"kind": "notify_recipient", "recipient": recipient})
