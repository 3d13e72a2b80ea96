"""The staff actions of a request's page: one table from form name to life-cycle call.

Each entry names the permission it needs, the states it applies to (for showing the
form only where it can work), and how the submitted form becomes a call of
``dsar.services.lifecycle`` or ``dsar.services.fulfilment``. Errors stay ``DsarError``s: the view turns
them into a message naming the field.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dsar.domain.request_states import TRANSITIONS
from dsar.errors import NotFound, ValidationError
from dsar.models import RightsRequest
from dsar.services import fulfilment, identifiers, lifecycle

#: Reasons to deny, as templates the staff member edits before sending (key, label, text).
DENIAL_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("manifestly_unfounded", "Manifestly unfounded or excessive (Art. 12(5))",
     "We cannot act on this request because it is manifestly unfounded or excessive, in "
     "particular because of its repetitive character (GDPR Art. 12(5))."),
    ("identity_not_verified", "Identity not verified",
     "We could not verify that you are the person the request is about, so we cannot act on "
     "it (GDPR Art. 12(6); CCPA regulations §7060)."),
    ("legal_exemption", "Legal exemption",
     "A legal exemption applies to this request: "),
    ("rights_of_others", "Would adversely affect the rights of others",
     "Answering would adversely affect the rights and freedoms of others (GDPR Art. 15(4))."),
    ("legal_obligation", "Legal obligation to keep the data",
     "We must keep this data to comply with a legal obligation (GDPR Art. 17(3)(b))."),
    ("no_right", "The right does not apply",
     "The right you asked to exercise does not apply to this processing: "),
)

#: What "Fulfil" does for each type, said on its button's form (see dsar.services.fulfilment).
FULFIL_HINTS = {
    "access": "Gathers the subject's data into an encrypted ZIP and sends them a download link; completes the request.",
    "portability": "Gathers the subject's data into an encrypted ZIP and sends them a download link; completes the request.",
    "erasure": "Starts the cancellable grace period; the erasure runs when it ends (never after the deadline).",
    "rectification": "Creates a task with the subject's correction; ticking it off completes the request.",
    "restriction": "Puts the subject on the suppression list; completes the request.",
    "objection": "Puts the subject on the suppression list; completes the request.",
    "withdraw_consent": "Puts the subject on the suppression list; completes the request.",
    "opt_out": "Puts the subject on the suppression list; completes the request.",
}

COMPLETE_OUTCOMES = (("complied", "Complied in whole"), ("complied_in_part", "Complied in part"))


@dataclass(frozen=True)
class Action:
    label: str
    permission: str
    run: Callable[[RightsRequest, Mapping[str, str], str], object]
    #: States the action can start from; None: any state (notes, holds, assignment).
    states: tuple[str, ...] | None = None
    done: str = "Done."


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _deny(request, form, actor):
    template = dict((key, text) for key, _, text in DENIAL_TEMPLATES).get(_text(form, "template"))
    reason = _text(form, "reason") or template or ""
    if not reason.strip():
        raise ValidationError("choose a reason or write one: the subject is told why", details={"field": "reason"})
    # The letter carries words written for the subject: the message, else the chosen template.
    return lifecycle.deny(request, actor, reason, message=_text(form, "message") or template)


def _assign(request, form, actor):
    from dsar.dashboard.staff_admin import member

    value = _text(form, "assignee_id")
    if not value:
        return lifecycle.assign(request, None, actor)
    if not value.isdigit():
        raise ValidationError("choose a member of staff", details={"field": "assignee_id"})
    try:
        user, _ = member(request.tenant_id, int(value))
    except NotFound:
        raise ValidationError("choose a member of staff of this organisation",
                              details={"field": "assignee_id"}) from None
    return lifecycle.assign(request, user, actor)


def _complete(request, form, actor):
    outcome = _text(form, "outcome") or "complied"
    if outcome not in dict(COMPLETE_OUTCOMES):
        raise ValidationError("choose whether the request was complied with in whole or in part",
                              details={"field": "outcome"})
    return lifecycle.complete(request, actor, outcome=outcome, message=_text(form, "message") or None)


def _legal_hold(request, form, actor):
    on = _text(form, "on") == "1"
    return lifecycle.set_legal_hold(request, actor, on=on, reason=_text(form, "reason") or None)


def _schedule_erasure(request, form, actor):
    return lifecycle.schedule_erasure(request, actor)


def _fulfil(request, form, actor):
    return fulfilment.fulfil(request, actor)


ACTIONS: dict[str, Action] = {
    "verify": Action("Verify identity", "work", lambda r, f, a: lifecycle.verify(r, a, reason=_text(f, "reason")),
                     TRANSITIONS["verify"].sources, "Identity verified."),
    "approve": Action("Approve", "work", lambda r, f, a: lifecycle.approve(r, a),
                      TRANSITIONS["approve"].sources, "Approved: the request is in progress."),
    "deny": Action("Deny", "work", _deny, TRANSITIONS["deny"].sources, "Denied; the reason is recorded."),
    "pause": Action("Pause the clock", "work", lambda r, f, a: lifecycle.pause(r, a, _text(f, "reason")),
                    TRANSITIONS["pause"].sources, "Paused: the clock stopped."),
    "resume": Action("Resume", "work", lambda r, f, a: lifecycle.resume(r, a, reason=_text(f, "reason") or None),
                     TRANSITIONS["resume"].sources, "Resumed: the deadline moved by the days paused."),
    "extend": Action("Extend the deadline", "work", lambda r, f, a: lifecycle.extend(r, a, _text(f, "reason"), message=_text(f, "message") or None),
                     ("verified", "in_progress", "paused", "unverified"), "Deadline extended."),
    "fulfil": Action("Fulfil", "work", _fulfil, ("verified", "in_progress"), "Fulfilment done."),
    "complete": Action("Mark completed", "work", _complete, TRANSITIONS["complete"].sources, "Completed."),
    "schedule_erasure": Action("Schedule the erasure", "work", _schedule_erasure,
                               TRANSITIONS["schedule_erasure"].sources,
                               "Erasure scheduled: the subject can cancel during the grace period."),
    "cancel": Action("Cancel for the subject", "work", lambda r, f, a: lifecycle.cancel(r, a, _text(f, "reason")),
                     TRANSITIONS["cancel"].sources, "Cancelled."),
    "confirm_identifier": Action(
        "Confirm the identifier", "work",
        lambda r, f, a: identifiers.confirm(r, _text(f, "kind"), a, _text(f, "reason")),
        ("unverified", "verified", "in_progress", "paused", "scheduled"),
        "Identifier confirmed: it is now used to find the subject's data."),
    "assign": Action("Assign", "work", _assign, None, "Assignment saved."),
    "note": Action("Add a note", "work", lambda r, f, a: lifecycle.add_note(r, a, _text(f, "note")),
                   None, "Note added."),
    "legal_hold": Action("Legal hold", "legal_hold", _legal_hold, None, "Legal hold saved."),
}


def available(request: RightsRequest) -> list[str]:
    """The actions whose form makes sense for the request's current state."""
    hidden = set() if request.type == "erasure" else {"schedule_erasure"}
    return [name for name, action in ACTIONS.items()
            if (action.states is None or request.status in action.states) and name not in hidden]
