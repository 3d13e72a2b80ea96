"""The request life cycle as data (SPEC §3): which action leads from which states where.

    unverified → verified → in_progress → completed
    paused (clock stopped) ↔ verified / in_progress
    denied, withdrawn, expired: closed without fulfilment
    erasure: in_progress → scheduled (grace period, cancellable) → completed
"""
from __future__ import annotations

from dataclasses import dataclass

from dsar.errors import Conflict

REQUEST_TYPES = ("access", "portability", "erasure", "rectification", "restriction", "objection",
                 "withdraw_consent", "opt_out")
STATES = ("unverified", "verified", "in_progress", "paused", "scheduled", "completed", "denied",
          "withdrawn", "expired")
OPEN_STATES = ("unverified", "verified", "in_progress", "paused", "scheduled")
CLOSED_STATES = ("completed", "denied", "withdrawn", "expired")
CHANNELS = ("portal", "api", "email", "post", "phone", "in_person")


def missing_details(request_type: str, details: str | None) -> bool:
    """True when a request cannot go ahead without the subject's own words and has none: a
    rectification must say what is wrong and what it should say (GDPR Art. 16). The one
    check the portal form, the API and intake share."""
    return request_type == "rectification" and not (details or "").strip()

#: Outcomes recorded for CCPA §7102 metrics.
OUTCOMES = ("complied", "complied_in_part", "denied", "withdrawn", "expired")


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    "verify": Transition(("unverified",), "verified"),
    "approve": Transition(("verified",), "in_progress"),
    "pause": Transition(("verified", "in_progress"), "paused", needs_reason=True),
    "resume": Transition(("paused",), "in_progress"),
    "schedule_erasure": Transition(("verified", "in_progress"), "scheduled"),
    "complete": Transition(("verified", "in_progress", "scheduled"), "completed"),
    "deny": Transition(("unverified", "verified", "in_progress", "paused"), "denied", needs_reason=True),
    "withdraw": Transition(OPEN_STATES, "withdrawn"),
    "cancel": Transition(OPEN_STATES, "withdrawn", needs_reason=True),
    "expire": Transition(("unverified",), "expired"),
}


def next_state(action: str, current: str) -> str:
    """The state ``action`` leads to from ``current``; Conflict with a readable reason if none."""
    transition = TRANSITIONS[action]
    if current not in transition.sources:
        allowed = ", ".join(transition.sources)
        raise Conflict(f"cannot {action.replace('_', ' ')} a request that is {current.replace('_', ' ')} "
                       f"(only when {allowed})", details={"status": current, "action": action})
    return transition.target
