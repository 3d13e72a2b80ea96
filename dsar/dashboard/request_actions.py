"""What a request's page offers and says: the staff actions in words, grouped by what is possible now.

Which actions exist and where each can start is one table shared with the API
(:mod:`dsar.services.staff_actions`, from the domain's state table). This module adds what a
DPO reads: each action's button, what it *will* do for this request's type and state, the
question asked before a destructive one, and what it *did* once it ran. The page's own
record-keeping actions (assign, note, legal hold) change no state and live here.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dsar.dashboard.access import PERMISSIONS
from dsar.dashboard.words import outcome_words
from dsar.errors import NotFound, ValidationError
from dsar.models import RightsRequest
from dsar.services import lifecycle, staff_actions
from dsar.services.staff_members import member

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

COMPLETE_OUTCOMES = (("complied", "Complied in whole"), ("complied_in_part", "Complied in part"))


@dataclass(frozen=True)
class Words:
    """What one action says on this request: its button, what it will do, the question
    asked first (destructive or irreversible ones), and what it did."""

    label: str
    will: str
    done: Callable[[RightsRequest], str]
    confirm: str | None = None


def _said(text: str) -> Callable[[RightsRequest], str]:
    return lambda request: text


def _day(value) -> str:
    return value.strftime("%d %b %Y")


_SUPPRESS = Words(
    "Add to the suppression list",
    "Adds the subject to the suppression list your systems check, tells them, and completes the request.",
    _said("The subject is on the suppression list; the request is completed."))

#: What "fulfil" does, per request type (see dsar.services.fulfilment.STEPS).
_FULFIL: dict[str, Words] = {
    "access": Words(
        "Export the data and send the link",
        "Gathers the subject's rows from the data map's sources into an encrypted ZIP, e-mails them a "
        "download link and completes the request.",
        _said("Export made and the download link sent to the subject; the request is completed."),
        confirm="Export the subject's data now and e-mail them the download link?"),
    "erasure": Words(
        "Schedule the erasure",
        "Starts the cancellable grace period: nothing is erased now. The erasure runs when it ends (never "
        "after the deadline) and the subject can cancel until then.",
        lambda r: f"Erasure scheduled for {r.erasure_at:%d %b %Y %H:%M} UTC. Nothing is erased yet; "
                  "the subject was told and can cancel until then.",
        confirm="Schedule the erasure? It runs by itself when the grace period ends."),
    "rectification": Words(
        "Create the correction task",
        "Creates a task with the subject's correction. Nothing changes in your systems: make the correction, "
        "then mark the task done to complete the request.",
        _said("Task created: make the correction, then mark the task done below.")),
    **{kind: _SUPPRESS for kind in ("restriction", "objection", "withdraw_consent", "opt_out")},
}
_FULFIL["portability"] = _FULFIL["access"]


def _told(request: RightsRequest) -> str:
    return "the subject was told" if request.subject_email_enc else "tell the subject (no e-mail address on file)"


_WORDS: dict[str, Words] = {
    "verify": Words("Verify identity", "Records how you checked who the subject is.",
                    _said("Identity verified.")),
    "approve": Words("Approve", "Moves the request to in progress: nothing is sent or changed yet.",
                     _said("Approved: the request is in progress.")),
    "pause": Words("Pause the clock", "Stops the clock while you wait for the subject, and tells them what you "
                   "are waiting for.", lambda r: f"Paused: the clock stopped; {_told(r)}."),
    "resume": Words("Resume", "Restarts the clock; the deadlines move by the days paused.",
                    lambda r: f"Resumed: the target date is now {_day(r.target_date)}."),
    "extend": Words("Extend the deadline", "Moves the legal deadline once, as the regime allows, and tells the "
                    "subject why.", lambda r: f"Deadline extended to {_day(r.extended_to)}; {_told(r)}.",
                    confirm="Extend the deadline? Only one extension is allowed."),
    "complete": Words("Mark completed", "When the request was answered outside dsar: records the outcome; "
                      "nothing is sent or changed.", lambda r: f"Completed: {outcome_words(r.outcome)}.",
                      confirm="Mark this request as completed?"),
    "deny": Words("Deny", "Closes the request and tells the subject the reason.",
                  lambda r: f"Denied; the reason is recorded and {_told(r)}.",
                  confirm="Deny this request? The subject is told the reason."),
    "cancel": Words("Cancel for the subject", "Closes the request as withdrawn, e.g. the subject withdrew by "
                    "phone; a scheduled erasure is called off.", _said("Cancelled: recorded as withdrawn."),
                    confirm="Cancel this request on the subject's behalf?"),
    "confirm_identifier": Words("Confirm", "From now on this identifier finds the subject's data.",
                                _said("Identifier confirmed: it is now used to find the subject's data.")),
    "assign": Words("Assign", "", _said("Assignment saved.")),
    "note": Words("Add a note", "", _said("Note added.")),
    "legal_hold": Words("Legal hold", "", lambda r: "Legal hold placed: erasure and purges skip this "
                        "request's data." if r.legal_hold else "Legal hold lifted."),
}

#: A scheduled erasure that has not run closes only in part, with a reason (SPEC §6).
_CLOSE_SCHEDULED = Words(
    "Close without running the erasure",
    "Only when the erasure cannot run: closes the request as complied in part, with your reason. "
    "To refuse it instead, deny it.",
    _said("Closed without the erasure: recorded as complied in part, with your reason."),
    confirm="Close this erasure without running it? It is recorded as complied in part.")


def words(request: RightsRequest, name: str) -> Words:
    """What action ``name`` says on ``request``, for its type and state."""
    if name == "fulfil":
        return _FULFIL[request.type]
    if name == "complete" and request.status == "scheduled":
        return _CLOSE_SCHEDULED
    return _WORDS[name]


# --- grouping: the next step first, destructive actions apart ----------------------------------

#: The step that moves the request on, per state (fulfil approves a verified request itself).
_NEXT = {"unverified": "verify", "verified": "fulfil", "in_progress": "fulfil", "paused": "resume"}
#: Actions that end the request without doing what it asked: shown apart, confirmed first.
ENDING = ("deny", "cancel")


@dataclass(frozen=True)
class Groups:
    next: list[str]
    other: list[str]
    ending: list[str]


def groups(request: RightsRequest, *, open_task: bool = False) -> Groups:
    """The request's possible actions: the next step, the other steps, and those that end it.

    A rectification whose task is open has no "fulfil" left (its next step is the task);
    a scheduled erasure's "complete" (close without running) is an ending one."""
    possible = [name for name in staff_actions.available(request) if name != "confirm_identifier"]
    if open_task:
        possible = [name for name in possible if name != "fulfil"]
    ending = [name for name in possible if name in ENDING or (name == "complete" and request.status == "scheduled")]
    step = _NEXT.get(request.status)
    nxt = [step] if step in possible else []
    other = [name for name in possible if name not in nxt and name not in ending]
    return Groups(nxt, other, ending)


# --- the page's own actions: no state change -----------------------------------------------------


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _assign(request, form, actor):
    value = _text(form, "assignee_id")
    if not value:
        return lifecycle.assign(request, None, actor)
    if not value.isdigit():
        raise ValidationError("choose a member of staff", details={"field": "assignee_id"})
    try:
        user, membership = member(request.tenant_id, int(value))
    except NotFound:
        raise ValidationError("choose a member of staff of this organisation",
                              details={"field": "assignee_id"}) from None
    if membership.role not in ASSIGNABLE_ROLES:
        raise ValidationError("an auditor only reads: choose someone who works requests",
                              details={"field": "assignee_id"})
    return lifecycle.assign(request, user, actor)


def _legal_hold(request, form, actor):
    on = _text(form, "on") == "1"
    return lifecycle.set_legal_hold(request, actor, on=on, reason=_text(form, "reason") or None)


#: Roles a request can be given to: those who work requests (an auditor only reads).
ASSIGNABLE_ROLES = PERMISSIONS["work"]
#: name -> (permission, what it does given the request, the form and the actor).
PAGE_ACTIONS: dict[str, tuple[str, Callable[[RightsRequest, Mapping[str, str], str], object]]] = {
    "assign": ("work", _assign),
    "note": ("work", lambda r, f, a: lifecycle.add_note(r, a, _text(f, "note"))),
    "legal_hold": ("legal_hold", _legal_hold),
}


def staff_fields(form: Mapping[str, str]) -> dict[str, str]:
    """The form as the shared action table's fields. A denial template is written for the
    subject: it becomes the reason when none was written, and the letter's words when staff
    wrote no message of their own."""
    fields = {name: _text(form, name) for name in ("reason", "outcome", "kind", "message")}
    template = dict((key, text) for key, _, text in DENIAL_TEMPLATES).get(_text(form, "template"), "")
    if template:
        fields["reason"] = fields["reason"] or template
        fields["message"] = fields["message"] or template
    return fields


def permission(name: str) -> str | None:
    """The permission action ``name`` needs; None when there is no such action."""
    if name in PAGE_ACTIONS:
        return PAGE_ACTIONS[name][0]
    return "work" if name in staff_actions.NAMES else None


def run(request: RightsRequest, name: str, form: Mapping[str, str], actor: str) -> str:
    """Take action ``name`` (known: see :func:`permission`) from the page's form; return what
    it did, in words. The services' DsarErrors pass through (the view shows them)."""
    if name in PAGE_ACTIONS:
        PAGE_ACTIONS[name][1](request, form, actor)
        return words(request, name).done(request)
    said = words(request, name)  # before: "complete" on a scheduled erasure says what it did to one
    fields = staff_fields(form)
    if name == "deny" and not fields["reason"]:
        raise ValidationError("choose a reason or write one: the subject is told why", details={"field": "reason"})
    staff_actions.perform(request, name, actor, fields)
    return said.done(request)
