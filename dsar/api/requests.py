"""The staff request API (SPEC §8): the queue, manual entry, one request, and its actions.

Every endpoint takes a bearer token and sees only the token's tenant: a reference of
another tenant answers 404 exactly like one that does not exist. Views parse, call
:mod:`dsar.services.lifecycle` or :mod:`dsar.services.queue`, and commit.
"""
from __future__ import annotations

from flask import g, url_for
from flask_smorest import Blueprint

from dsar.api.auth import api_actor, token_required
from dsar.api.schemas import ActionIn, ManualEntryIn, QueueArgs, QueuePageOut, RequestDetailOut, RequestOut
from dsar.errors import NotFound
from dsar.models import RightsRequest, utcnow
from dsar.services import identifiers, lifecycle, staff_actions
from dsar.services.intake import check_identities
from dsar.services.queue import queue

blp = Blueprint("requests", __name__, description="The tenant's requests: queue, manual entry, actions.")
SECURITY = [{"bearer": []}]
UNAUTHORIZED = "no bearer token, or an unknown or revoked one"
NOT_FOUND = "no request with this reference in the token's tenant"


@blp.get("/requests")
@token_required
@blp.doc(security=SECURITY)
@blp.arguments(QueueArgs, location="query", as_kwargs=True)
@blp.response(200, QueuePageOut)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.alt_response(422, description="a filter value is wrong; `details.query` names it")
def list_requests(**filters):
    """The token's tenant's queue, earliest target date first, one page at a time."""
    return queue(g.tenant.id, today=utcnow().date(), **filters)


@blp.post("/requests")
@token_required
@blp.doc(security=SECURITY)
@blp.arguments(ManualEntryIn)
@blp.response(201, RequestOut)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.alt_response(422, description="a field is wrong; `details.json` names it")
def enter_request(entry):
    """Record a request received by e-mail, post, phone or in person; the clock starts at ``received_at``."""
    subject = dict(entry["subject"])
    custom = tuple(subject.pop("identities", {}).items())
    check_identities(g.tenant, custom)
    request = lifecycle.enter_request(
        g.tenant, type=entry["type"], subject=lifecycle.Subject(**subject),
        channel=entry["channel"], received_at=entry["received_at"], regime=entry.get("regime"),
        verified=entry["verified"], verification_reason=entry.get("verification_reason"),
        actor=api_actor())
    identifiers.record(request, {"phone": subject.get("phone"), "customer_id": subject.get("customer_id"),
                                 **dict(custom)})
    return request, 201, {"Location": url_for("requests.get_request", reference=request.reference)}


@blp.get("/requests/<reference>")
@token_required
@blp.doc(security=SECURITY)
@blp.response(200, RequestDetailOut)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.alt_response(404, description=NOT_FOUND)
def get_request(reference: str):
    """One request with the subject's identifiers and its audit events."""
    return _own_request(reference)


@blp.post("/requests/<reference>/<action>")
@token_required
@blp.doc(security=SECURITY, description="action: " + ", ".join(staff_actions.NAMES) + ". Body "
         '`{"reason": ...}` for verify, deny, pause, extend and cancel; '
         '`{"outcome": "complied" | "complied_in_part", "reason": ...}` for complete (a scheduled erasure '
         'that has not run closes only in part, with a reason); '
         '`{"kind": ..., "reason": ...}` for confirm_identifier (a hint becomes proven, audited). '
         "The states each action starts from are the domain's state table, shared with the dashboard.")
@blp.arguments(ActionIn)
@blp.response(200, RequestOut)
@blp.alt_response(401, description=UNAUTHORIZED)
@blp.alt_response(404, description=NOT_FOUND + ", or no such action")
@blp.alt_response(409, description="not allowed in the request's state or under its regime; the message says why")
@blp.alt_response(422, description="a reason is needed (`details.field` is `reason`)")
def request_action(body, reference: str, action: str):
    """Move the request on: 422 names a missing field, 409 says why the action is not allowed now."""
    staff_actions.check_known(action)  # before the lookup: the same 404 for any reference
    return staff_actions.perform(_own_request(reference), action, api_actor(), body)


def _own_request(reference: str) -> RightsRequest:
    """The token's tenant's request, or 404 — the same 404 for another tenant's reference."""
    request = lifecycle.find_request(reference, tenant_id=g.tenant.id)
    if request is None:
        raise NotFound(f"no request {reference!r}", details={"field": "reference"})
    return request


