"""The actions staff take on a request: one table for the dashboard and the API.

Where each action can start is the domain's state table
(:data:`dsar.domain.request_states.STAFF_ACTIONS`); :func:`perform` checks it and then
calls the life cycle or fulfilment, so no view re-checks states. Fields are what the form
or the JSON body gave (``reason``, ``outcome``, ``kind``); the services name a wrong one in
their ``ValidationError``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from dsar.domain.request_states import STAFF_ACTIONS, check_action, staff_actions
from dsar.errors import NotFound
from dsar.models import RightsRequest
from dsar.services import fulfilment, identifiers, lifecycle

Fields = Mapping[str, object]


def _reason(fields: Fields) -> str | None:
    return (str(fields.get("reason") or "")).strip() or None


def _message(fields: Fields) -> str | None:
    """Staff's words for the subject (a letter carries them); a reason stays internal."""
    return (str(fields.get("message") or "")).strip() or None


#: action -> what it does, given the request, the actor and the fields.
RUN: dict[str, Callable[[RightsRequest, str, Fields], object]] = {
    "verify": lambda r, actor, f: lifecycle.verify(r, actor, reason=_reason(f)),
    "approve": lambda r, actor, f: lifecycle.approve(r, actor),
    "pause": lambda r, actor, f: lifecycle.pause(r, actor, _reason(f) or ""),
    "resume": lambda r, actor, f: lifecycle.resume(r, actor, reason=_reason(f)),
    "complete": lambda r, actor, f: lifecycle.complete(r, actor, outcome=str(f.get("outcome") or "complied"),
                                                       reason=_reason(f), message=_message(f)),
    "deny": lambda r, actor, f: lifecycle.deny(r, actor, _reason(f) or "", message=_message(f)),
    "cancel": lambda r, actor, f: lifecycle.cancel(r, actor, _reason(f) or ""),
    "fulfil": lambda r, actor, f: fulfilment.fulfil(r, actor),
    "extend": lambda r, actor, f: lifecycle.extend(r, actor, _reason(f) or "", message=_message(f)),
    "confirm_identifier": lambda r, actor, f: identifiers.confirm(r, str(f.get("kind") or ""), actor,
                                                                  _reason(f) or ""),
}
assert RUN.keys() == STAFF_ACTIONS.keys(), "every staff action of the state table has one call"
NAMES: tuple[str, ...] = tuple(STAFF_ACTIONS)


def check_known(action: str) -> None:
    """NotFound naming the choices unless ``action`` is a staff action."""
    if action not in RUN:
        raise NotFound(f"no action {action!r}; choose one of {', '.join(NAMES)}", details={"field": "action"})


def perform(request: RightsRequest, action: str, actor: str, fields: Fields) -> RightsRequest:
    """Take ``action`` on ``request``: NotFound for an unknown action, Conflict when the
    state does not allow it (in words), the service's own errors otherwise."""
    check_known(action)
    check_action(action, request.status)
    RUN[action](request, actor, fields)
    return request


def available(request: RightsRequest) -> list[str]:
    """The staff actions possible for ``request`` now."""
    return staff_actions(request.status)
