"""The request life cycle as data (SPEC §3): which action leads from which states where.

    unverified → verified → in_progress → completed
    paused (clock stopped) ↔ verified / in_progress
    denied, withdrawn, expired: closed without fulfilment
    erasure: in_progress → scheduled (grace period, cancellable) → completed
"""
from __future__ import annotations

from dataclasses import dataclass

from dsar.errors import Conflict, ValidationError

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
    "deny": Transition(("unverified", "verified", "in_progress", "paused", "scheduled"), "denied",
                       needs_reason=True),
    "withdraw": Transition(OPEN_STATES, "withdrawn"),
    "cancel": Transition(OPEN_STATES, "withdrawn", needs_reason=True),
    "expire": Transition(("unverified",), "expired"),
}


#: The actions staff take on a request (dashboard and API alike) and the states each can
#: start from. Transitions take their sources from TRANSITIONS; the rest keep the state:
#: ``fulfil`` (approves a verified request first), ``extend`` (the clock still runs and
#: nothing is fixed yet: a scheduled erasure already runs before the deadline) and
#: ``confirm_identifier`` (any open request).
STAFF_ACTIONS: dict[str, tuple[str, ...]] = {
    **{name: TRANSITIONS[name].sources for name in ("verify", "approve", "pause", "resume", "complete",
                                                      "deny", "cancel")},
    "fulfil": ("verified", "in_progress"),
    "extend": ("unverified", "verified", "in_progress", "paused"),
    "confirm_identifier": OPEN_STATES,
}


def check_action(action: str, current: str) -> None:
    """Conflict with a readable reason unless staff may take ``action`` from ``current``."""
    sources = STAFF_ACTIONS[action]
    if current not in sources:
        raise Conflict(f"cannot {action.replace('_', ' ')} a request that is {current.replace('_', ' ')} "
                       f"(only when {', '.join(sources)})", details={"status": current, "action": action})


def staff_actions(current: str) -> list[str]:
    """The staff actions possible from ``current``, in the table's order."""
    return [name for name, sources in STAFF_ACTIONS.items() if current in sources]


def check_completion(current: str, outcome: str, *, erasure_ran: bool, reason: str | None) -> None:
    """A scheduled erasure ends only by running (SPEC §6 "the outcome is evidence"). Closed
    without running, it needs a recorded reason why it cannot run, and its outcome is then
    ``complied_in_part`` (or ``denied``, through ``deny``), never "complied in whole"."""
    if current != "scheduled" or erasure_ran:
        return
    if outcome != "complied_in_part":
        raise Conflict("a scheduled erasure that has not run cannot be complied with in whole: let it run, "
                       "or close it in part (complied_in_part) or deny it, with the reason",
                       details={"field": "outcome", "status": current, "action": "complete"})
    if not (reason or "").strip():
        raise ValidationError("say why the scheduled erasure cannot run: the reason is recorded",
                              details={"field": "reason"})


#: States in words, as staff and subjects read them.
STATE_WORDS = {"unverified": "not verified yet", "verified": "verified", "in_progress": "in progress",
               "paused": "paused", "scheduled": "erasure scheduled", "completed": "completed",
               "denied": "denied", "withdrawn": "withdrawn", "expired": "expired"}


def state_words(state: str) -> str:
    return STATE_WORDS.get(state, state.replace("_", " "))


def next_state(action: str, current: str) -> str:
    """The state ``action`` leads to from ``current``; Conflict with a readable reason if none."""
    transition = TRANSITIONS[action]
    if current not in transition.sources:
        allowed = ", ".join(transition.sources)
        raise Conflict(f"cannot {action.replace('_', ' ')} a request that is {current.replace('_', ' ')} "
                       f"(only when {allowed})", details={"status": current, "action": action})
    return transition.target
