"""The public intake API (SPEC §8): submit a request, verify it with the code from the message.

No token: this is the data subject's side, like the portal, with the same validation, the
same per-IP rate limits and the same answer for every address. Errors leave in the one
JSON envelope; a field that is wrong is named in ``details``.
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dsar.domain.regimes import REGIME_CODES
from dsar.domain.request_states import REQUEST_TYPES, missing_details
from dsar.errors import DsarError
from dsar.web.http_errors import error_response
from dsar.services import intake, lifecycle, verification
from dsar.portal.rate_limits import api_verify_limit, retry_after, submit_limit
from dsar.services.intake import LIMITS
from dsar.services.notifications import status_url
from dsar.services.tenants import get_tenant
from dsar.translations import LANGUAGES, supported

blp = Blueprint("intake", __name__, description="The data subject's side: submit a request and verify it.")


def _email(field: str):
    def check(value: str) -> None:
        try:
            intake.normalise_email(value, field)
        except DsarError as exc:
            raise ValidationError(exc.message.removeprefix(f"{field}: ")) from None
    return check


def _text(field: str, required: bool = False):
    return fields.String(required=required, allow_none=not required,
                         validate=validate.Length(min=1 if required else 0, max=LIMITS[field]))


class AgentIn(Schema):
    name = _text("agent_name", required=True)
    email = fields.String(required=True, validate=[validate.Length(max=LIMITS["agent_email"]),
                                                   _email("agent_email")])
    relationship = _text("agent_relationship", required=True)


class IntakeIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(REQUEST_TYPES))
    email = fields.String(required=True, validate=[validate.Length(max=LIMITS["email"]), _email("email")])
    name = _text("name")
    phone = _text("phone")
    customer_id = _text("customer_id")
    details = _text("details")
    regime = fields.String(validate=validate.OneOf(REGIME_CODES),
                           metadata={"description": "default: the tenant's regime"})
    language = fields.String(validate=validate.OneOf(tuple(LANGUAGES)),
                             metadata={"description": "of the messages; default: Accept-Language"})
    agent = fields.Nested(AgentIn, metadata={"description": "an authorised agent acting for the subject"})
    identities = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)),
                             values=fields.String(validate=validate.Length(max=LIMITS["identity"])),
                             metadata={"description": "the organisation's own identity kinds (its data map's "
                                                      "identities:), e.g. {\"loyalty_id\": \"L-1001\"}"})

    @validates_schema
    def _rectification_needs_details(self, data, **kwargs) -> None:
        if missing_details(data.get("type"), data.get("details")):
            raise ValidationError("tell us what to correct", field_name="details")


class ReceiptOut(Schema):
    reference = fields.String(metadata={"description": "quote it in any question; the status link comes by e-mail"})
    status = fields.String(metadata={"description": "`unverified` (the message asks to prove the address), or "
                                                    "`completed` for an `opt_out`: on the suppression list at once"})


class VerifyIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\s*\d(?:[\s-]?\d){5}\s*$",
                                                                error="the code has six digits"))
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=40)),
                          values=fields.String(validate=validate.Length(max=200)),
                          metadata={"description": "data points, e.g. {\"phone\": ...}, where the request "
                                                   "type needs stronger verification"})
    declaration = fields.Boolean(load_default=False)


class VerifiedOut(Schema):
    reference = fields.String()
    status = fields.String()
    status_url = fields.String(metadata={"description": "the subject's status page (secret link)"})


@blp.post("/tenants/<slug>/requests")
@submit_limit
@blp.arguments(IntakeIn)
@blp.response(202, ReceiptOut)
@blp.alt_response(422, description="a field is wrong; `details.json` names it")
def submit(body, slug: str):
    """Take a request as the portal form does; 202 whatever the address, and the message goes out.
    An ``opt_out`` needs no verification: the address is on the suppression list when this answers."""
    tenant = get_tenant(slug)
    agent = body.get("agent")
    submission = intake.Submission(
        type=body["type"], email=body["email"], name=body.get("name"), phone=body.get("phone"),
        customer_id=body.get("customer_id"), details=body.get("details"), regime=body.get("regime"),
        identities=tuple((body.get("identities") or {}).items()),
        agent=intake.Agent(agent["name"], agent["email"], agent["relationship"]) if agent else None)
    language = body.get("language") or supported(request.accept_languages.best_match(LANGUAGES))
    created = intake.submit(tenant, submission, channel="api", language=language,
                            requester_ip=request.remote_addr,
                            gpc=request.headers.get("Sec-GPC", "").strip() == "1")
    return {"reference": created.reference, "status": created.status}


@blp.errorhandler(429)
def _too_many(exc):
    """JSON 429 with ``Retry-After``: how many seconds until this client may submit again."""
    wait = retry_after()
    response, status = error_response(429, "too_many_requests",
                                      f"Too many requests from this address; try again in {wait} seconds.",
                                      {"retry_after": wait})
    response.headers["Retry-After"] = str(wait)
    return response, status


def _staff_verify_passes_through(view):
    """``POST /requests/<reference>/verify`` with a bearer token is staff's manual
    verification (``dsar.api.requests``): this exact path would otherwise shadow it."""

    @wraps(view)
    def wrapper(reference: str):
        staff = current_app.view_functions.get("requests.request_action")
        if staff is not None and request.headers.get("Authorization", "").lower().startswith("bearer "):
            return staff(reference=reference, action="verify")
        return view(reference=reference)

    wrapper._apidoc = getattr(view, "_apidoc", {})
    return wrapper


@blp.post("/requests/<reference>/verify")
@_staff_verify_passes_through
@api_verify_limit
@blp.arguments(VerifyIn)
@blp.response(200, VerifiedOut)
@blp.alt_response(422, description="wrong code (`details.attempts_left`), or a code that cannot be used "
                                   "any more (`verification_failed`: unknown, used, expired, out of attempts)")
def verify(body, reference: str):
    """Verify with the six-digit code from the message (with a bearer token: staff's manual
    verification, body ``{"reason": ...}``)."""
    found = lifecycle.find_request(reference, tenant_id=None)  # the code proves the rest
    verified = verification.verify_with_code(found, body["code"], answers=body.get("answers"),
                                             declaration=body["declaration"])
    return {"reference": verified.reference, "status": verified.status, "status_url": status_url(verified)}

