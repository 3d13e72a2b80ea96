"""Fulfilling a request, whatever its type (SPEC §6); the one entry point views, the API
and jobs share.

``fulfil(request, actor)`` dispatches on the request type through ``STEPS``:

============================================ ==================================================
access, portability                          export ZIP, encrypted; download link to the subject
erasure                                      grace period (``scheduled``); ``execute-erasures``
restriction, objection, withdraw_consent,    the tenant's suppression list
opt_out
rectification                                a staff task; ``close_task`` completes the request
============================================ ==================================================

Plan, effect, record (STYLE rule 13)
------------------------------------
Fulfilling reaches outside the database (a file written, a customer database changed, a
message sent), so it follows ``services.checkpoint.outside_effect``, always in this order:

1. **plan** — the request moves to ``in_progress`` and that is committed on its own: from
   now on it *is* being worked on, whatever the effect does next;
2. **effect** — the step of ``STEPS`` (the export file, the suppression list, the task);
3. **record** — the outcome (request completed, audit events, the subject's message in the
   outbox) is added to the caller's transaction, which the entry point — the HTTP request
   (``dsar.web.unit_of_work``), the job run or the CLI command — commits, once.

When the effect fails for an operational reason — a source that is down, a data map that
is missing or broken, an export directory that refuses the file — what it did is rolled
back, a ``fulfilment_failed`` audit event is recorded and committed (the reason, never
personal data) before the DsarError reaches the caller, which rolls back whatever else it
had. The request stays in progress; fulfilling again later picks up from there.
The erasure executed by ``execute-erasures`` follows the same order in
``services.erasure_requests.execute`` (its dry run is the plan, committed before any row changes).
"""
from __future__ import annotations

from collections.abc import Callable

from dsar.datamap.loader import DataMapError
from dsar.datamap.model import DataMap
from dsar.errors import ConfigurationError, Conflict, DsarError, SourceUnavailable, ValidationError
from dsar.extensions import db
from dsar.fulfilment.discovery import Identifiers, preview
from dsar.jobs.registry import JobContext, job
from dsar.keyring import keyring
from dsar.models import RightsRequest, Task, Tenant, for_tenant, utcnow
from dsar.services import audit, erasure_requests, exports, identifiers, lifecycle, suppressions
from dsar.services.checkpoint import checkpoint, outside_effect
from dsar.services.datamaps import tenant_datamap
from dsar.services.exports import export_chunks  # noqa: F401  (the dashboard's staff download)
from dsar.services.notifications import notify_subject, public_url

#: Failures that leave the request where it was, with a ``fulfilment_failed`` event.
OPERATIONAL = (SourceUnavailable, ConfigurationError, DataMapError)
#: Request types a legal hold stops.
HELD_TYPES = ("erasure",)
ERASURE_JOB = "job:execute-erasures"


# --- the tenant's data and the subject ---------------------------------------------------------


def required_datamap(tenant: Tenant) -> DataMap:
    """The tenant's data map; ConfigurationError saying how to add one when it has none."""
    datamap = tenant_datamap(tenant)
    if datamap is None:
        raise ConfigurationError(
            f"this tenant has no data map yet; add one with `dsar tenants create {tenant.slug} --datamap FILE` "
            "or put its file name in the tenant's settings (see `dsar datamap check FILE`)",
            details={"tenant": tenant.slug})
    return datamap


def identifiers_of(request: RightsRequest) -> Identifiers:
    """The subject's *proven* identifiers: the only ones the data map may find rows by (SPEC §4).

    A phone number or customer number the requester merely typed is a hint and is left
    out until stronger verification matched it or staff confirmed it.
    """
    found = identifiers.proven(request)
    if not found:
        raise Conflict("the request has no proven identifier to find the subject's data by: verify the "
                       "e-mail address, or confirm an identifier on the request page with a reason",
                       details={"field": "subject"})
    return found


def preview_request(request: RightsRequest) -> list[dict]:
    """Rows per table the subject has, without reading them: ``[{"source", "table", "rows"}]``."""
    return [{"source": source, "table": table, "rows": rows}
            for (source, table), rows in discovery_preview(request).items()]


def discovery_preview(request: RightsRequest) -> dict[tuple[str, str], int]:
    """The same as a mapping ``{(source, table): rows}`` (the dashboard's request page)."""
    return preview(required_datamap(lifecycle.tenant_of(request)), identifiers_of(request))


# --- fulfil --------------------------------------------------------------------------------------


def _export(request: RightsRequest, actor: str) -> None:
    tenant, now = lifecycle.tenant_of(request), utcnow()
    datamap, identifiers = required_datamap(tenant), identifiers_of(request)
    made = exports.make_export(request, tenant, datamap, lifecycle.subject_of(request), identifiers, now=now)
    export = made.export
    labels = {(s.name, t.name): t.label for s in datamap.sources for t in s.tables}
    tables = [{**t, "label": labels.get((t["source"], t["table"]), t["table"])} for t in made.tables]
    lifecycle.complete(request, actor, outcome="complied", result={"export": {
        "export_id": export.id, "kind": request.type, "tables": tables,
        "rows": sum(t["rows"] for t in made.tables), "expires_at": export.expires_at.isoformat()}})
    notify_subject(request, "export_ready", download_url=public_url("downloads.download", token=made.token),
                   expires_at=export.expires_at, max_downloads=export.max_downloads)


def _schedule_erasure(request: RightsRequest, actor: str) -> None:
    required_datamap(lifecycle.tenant_of(request))  # fail now, not when the grace period ends
    identifiers_of(request)
    erasure_requests.schedule(request, actor)


def _rectify(request: RightsRequest, actor: str) -> None:
    """A task carrying the subject's correction; the request stays in progress until it closes."""
    if _open_tasks(request, "rectify"):
        return
    details = lifecycle.subject_of(request).details or \
        "The request gives no correction: ask the subject what to correct."
    task = Task(tenant_id=request.tenant_id, request=request, kind="rectify",
                title=f"Correct the subject's data as asked in {request.reference}",
                details_enc=keyring().encrypt_text(details))
    db.session.add(task)
    db.session.flush()
    audit.record(request.tenant_id, "task_created", actor, request=request,
                 payload={"kind": "rectify", "task_id": task.id})


#: request type -> the work that fulfils it, given the request (in progress) and the actor.
STEPS: dict[str, Callable[[RightsRequest, str], None]] = {
    "access": _export,
    "portability": _export,
    "erasure": _schedule_erasure,
    "rectification": _rectify,
    "restriction": suppressions.suppress,
    "objection": suppressions.suppress,
    "withdraw_consent": suppressions.suppress,
    "opt_out": suppressions.suppress,
}


def fulfil(request: RightsRequest, actor: str) -> RightsRequest:
    """Do what the request asks: plan (committed), effect, record (the caller commits);
    see the module docstring.

    Raises Conflict when the request is not verified or in progress, or a legal hold
    blocks it (naming the hold's reason); an operational DsarError (see ``OPERATIONAL``)
    after recording it.
    """
    if request.type in HELD_TYPES:
        erasure_requests.check_not_held(request)
    if request.status == "verified":
        lifecycle.approve(request, actor)
    elif request.status != "in_progress":
        raise Conflict(f"cannot fulfil a request that is {request.status.replace('_', ' ')} "
                       "(only when verified or in progress)",
                       details={"status": request.status, "action": "fulfil"})
    # 1. the plan (in_progress) is committed; 2. the effect; 3. the record, in the caller's unit
    with outside_effect(failures=OPERATIONAL,
                        keep_failure=lambda error: record_failure(request, actor, request.type, error)):
        STEPS[request.type](request, actor)
    return request


def record_failure(request: RightsRequest, actor: str, step: str, error: DsarError) -> None:
    """The ``fulfilment_failed`` event: what failed and why, in words free of personal data."""
    audit.record(request.tenant_id, "fulfilment_failed", actor, request=request, reason=error.message,
                 payload={"step": step, "code": error.code, "source": error.details.get("source"),
                          **({"table": error.details["table"]} if error.details.get("table") else {})})


# --- rectification: staff close the task ---------------------------------------------------------


def close_task(task: Task, actor: str, note: str) -> Task:
    """Tick ``task`` off with a note saying what was done; closing a request's last open
    rectification task completes the request. Commits nothing: the caller does."""
    note = (note or "").strip()
    if task.done_at is not None:
        raise Conflict("this task is already done", details={"field": "task"})
    if not note or len(note) > 5000:
        raise ValidationError("say in a note (1 to 5000 characters) what was done", details={"field": "note"})
    kind, _, user_id = actor.partition(":")
    task.done_at, task.note = utcnow(), note
    task.done_by_id = int(user_id) if kind == "user" and user_id.isdigit() else None
    # The note stays on the task, not in the audit payload: it may quote personal data.
    audit.record(task.tenant_id, "task_done", actor, request=task.request,
                 payload={"task_id": task.id, "kind": task.kind})
    request = task.request
    if task.kind == "rectify" and request.status in ("verified", "in_progress") \
            and not _open_tasks(request, "rectify"):
        lifecycle.complete(request, actor, outcome="complied", result={"rectification": {"task_id": task.id}})
        notify_subject(request, "completed")
    return task


def _open_tasks(request: RightsRequest, kind: str) -> list[Task]:
    return list(db.session.execute(for_tenant(Task, request.tenant_id).where(
        Task.request_id == request.id, Task.kind == kind, Task.done_at.is_(None))).scalars())


# --- jobs ------------------------------------------------------------------------------------------


@job("execute-erasures")
def execute_erasures(ctx: JobContext) -> None:
    for request in erasure_requests.due(ctx.now, tenant_id=ctx.tenant_id, held=True):
        ctx.count("held", 1)
        if not ctx.dry_run:
            erasure_requests.note_held(request, ERASURE_JOB)
            checkpoint("batch")
    due = erasure_requests.due(ctx.now, tenant_id=ctx.tenant_id)
    for done, request in enumerate(due):
        ctx.progress("erasures", done, len(due))
        try:
            tables = erasure_requests.execute(request, required_datamap(lifecycle.tenant_of(request)),
                                      identifiers_of(request), actor=ERASURE_JOB, now=ctx.now,
                                      dry_run=ctx.dry_run)
        except (*OPERATIONAL, Conflict) as error:
            db.session.rollback()
            ctx.errors.append(f"{request.reference}: {error.message}")
            if not ctx.dry_run:
                record_failure(request, ERASURE_JOB, "erasure", error)
                checkpoint("failure kept")
            continue
        for table in tables:  # rows deleted / anonymized (would be, in a dry run) / kept
            ctx.count(table["action"], table["rows"] if table["action"] == "retain" else table["changed"])
        ctx.count("requests", 1)
        if not ctx.dry_run:
            checkpoint("batch")  # one request's erasure, recorded before the next one starts


@job("expire-exports")
def expire_exports(ctx: JobContext) -> None:
    ctx.count("exports", exports.expire_exports(ctx.now, tenant_id=ctx.tenant_id, dry_run=ctx.dry_run))
