"""What the dashboard says instead of codes: states, audit events and their details in words.

The timeline and the audit trail show ``in progress`` (not ``in_progress``), "Identity
verified" (not ``verify``) and an event's details as a table of labelled values, never as
a JSON dump. Unknown keys still show, humanised, so nothing recorded is hidden.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dsar.domain.request_states import state_words

__all__ = ["details", "event_words", "outcome_words", "state_words"]

EVENT_WORDS = {
    "request_received": "Request received", "verify": "Identity verified", "approve": "Approved",
    "pause": "Clock paused", "resume": "Clock resumed", "extend": "Deadline extended",
    "schedule_erasure": "Erasure scheduled", "complete": "Completed", "deny": "Denied",
    "withdraw": "Withdrawn by the subject", "cancel": "Cancelled for the subject",
    "expire": "Expired (never verified)", "assign": "Assigned", "note": "Note",
    "legal_hold_on": "Legal hold placed on the request", "legal_hold_off": "Legal hold on the request lifted",
    "task_created": "Task created", "task_done": "Task done", "suppressed": "Added to the suppression list",
    "fulfilment_failed": "Fulfilment failed", "erasure_held": "Erasure held by a legal hold",
    "identifiers_proven": "Identifiers proven", "identifier_confirmed": "Identifier confirmed",
    "export_downloaded": "Export downloaded", "job_run": "Job run", "settings_changed": "Settings changed",
    "tenant_created": "Organisation created", "staff_added": "Staff member added",
    "staff_removed": "Staff member removed", "staff_invited": "Staff member invited",
    "staff_invitation_withdrawn": "Invitation withdrawn", "staff_two_factor_reset": "Two-factor reset",
    "staff_unlocked": "Sign-in unlocked", "token_created": "API token created", "token_revoked": "API token revoked",
    "retention_override": "Retention shortened", "retention_legal_hold_on": "Retention hold placed on rows",
    "retention_legal_hold_off": "Retention hold on rows lifted",
}

OUTCOME_WORDS = {"complied": "complied in whole", "complied_in_part": "complied in part", "denied": "denied",
                 "withdrawn": "withdrawn", "expired": "expired"}

#: Payload keys -> labels (anything else: the key humanised).
DETAIL_LABELS = {
    "from": "From", "to": "To", "outcome": "Outcome", "erasure_at": "Erasure runs", "extended_to": "Extended to",
    "subject_told": "Subject told", "paused_days": "Days paused", "assignee_id": "Assignee", "type": "Type",
    "channel": "Channel", "regime": "Regime", "gpc": "Global Privacy Control", "received_at": "Received",
    "task_id": "Task", "kind": "Kind", "step": "Step", "code": "Error code", "source": "Source", "table": "Table",
    "export_id": "Export", "changed": "Changed", "user_id": "Staff member", "role": "Role", "token_id": "Token",
    "name": "Name", "slug": "Address", "country": "Country", "period": "Period", "column": "Column",
    "invitation_id": "Invitation",
}
_STATE_KEYS = {"from", "to"}
#: Keys whose values are codes (``in_person``, ``notify_recipient``): underscores become spaces.
_CODE_KEYS = {"kind", "step", "type", "channel", "role"}


def event_words(kind: str) -> str:
    return EVENT_WORDS.get(kind, kind.replace("_", " ").capitalize())


def outcome_words(outcome: str | None) -> str:
    return OUTCOME_WORDS.get(outcome or "", (outcome or "").replace("_", " "))


def details(payload: dict[str, Any] | None, names: dict[int, str] | None = None) -> list[tuple[str, str]]:
    """An event's payload as (label, value) rows in words; ``names`` turns staff ids into names."""
    rows = []
    for key, value in (payload or {}).items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        rows.append((DETAIL_LABELS.get(key, key.replace("_", " ").capitalize()), _value(key, value, names or {})))
    return rows


def _value(key: str, value: Any, names: dict[int, str]) -> str:
    if key in _STATE_KEYS and isinstance(value, str):
        return state_words(value)
    if key == "outcome":
        return outcome_words(value)
    if key in ("assignee_id", "user_id") and isinstance(value, int):
        return names.get(value, f"staff member {value}")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return _moment(value) or (value.replace("_", " ") if key in _CODE_KEYS else value)
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_value(k, v, names)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(key, v, names) for v in value)
    return str(value)


def _moment(text: str) -> str | None:
    """An ISO date or time as staff read it (``18 Nov 2026``, ``18 Nov 2026 10:00 UTC``)."""
    if len(text) < 10 or not text[:4].isdigit() or text[4] != "-":
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text).strftime("%d %b %Y")
        return datetime.fromisoformat(text).strftime("%d %b %Y %H:%M UTC")
    except ValueError:
        return None
