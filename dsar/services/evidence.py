"""The outcome of a fulfilment as evidence (SPEC §6): per table, what was done and why.

``request.result`` keeps what each step recorded (the export's tables, the erasure's
tables); this module turns it into one shape the API's ``result.tables`` and the
dashboard's table share, and finds the last ``fulfilment_failed`` event to show beside it.
"""
from __future__ import annotations

from dsar.extensions import db
from dsar.models import AuditEvent, RightsRequest, for_tenant


def outcome_tables(request: RightsRequest) -> list[dict]:
    """Per table: rows exported, deleted, anonymized (which columns), retained (basis,
    until), kept because shared or still referenced — with the data map's label."""
    result = request.result or {}
    if "export" in result:
        return [_row(t, exported=t.get("rows", 0)) for t in result["export"].get("tables", [])]
    erasure = result.get("erasure") or {}
    tables = erasure.get("tables") or result.get("erasure_plan") or []
    return [_erased(t) for t in tables]


def _row(table: dict, **values) -> dict:
    row = {"source": table["source"], "table": table["table"], "label": table.get("label") or table["table"],
           "exported": 0, "deleted": 0, "anonymized": 0, "anonymized_columns": [], "retained": None,
           "kept": [], "shared": bool(table.get("shared"))}
    row.update(values)
    return row


def _erased(table: dict) -> dict:
    action = table.get("action")
    if action == "retain":
        return _row(table, retained={"rows": table["rows"], "basis": table.get("basis"), "until": table.get("until")})
    deleted = table.get("deleted", table.get("changed", 0) if action == "delete" else 0)
    anonymized = table.get("anonymized", table.get("changed", 0) if action == "anonymize" else 0)
    return _row(table, deleted=deleted, anonymized=anonymized,
                anonymized_columns=list(table.get("columns", [])),
                kept=[{"why": why, "rows": rows} for why, rows in table.get("kept_because", [])])


def last_failure(request: RightsRequest) -> dict | None:
    """The newest ``fulfilment_failed`` event, unless the request moved on since then."""
    events = db.session.execute(
        for_tenant(AuditEvent, request.tenant_id).where(AuditEvent.request_id == request.id)
        .order_by(AuditEvent.id.desc()).limit(20)).scalars().all()
    for event in events:
        if event.kind == "fulfilment_failed":
            payload = event.payload or {}
            return {"at": event.at.isoformat(), "reason": event.reason, "step": payload.get("step"),
                    "source": payload.get("source"), "table": payload.get("table")}
        if event.kind in ("complete", "deny", "cancel", "withdraw", "schedule_erasure"):
            return None
    return None
