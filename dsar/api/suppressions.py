"""The suppression list, asked by the tenant's own systems (SPEC §6, §8).

``GET /api/v1/suppressions/check?email=…&phone=…`` answers whether the subject asked to be
left alone (restriction, objection, withdrawal of consent, opt-out), why, and since when —
for the token's tenant only. The list holds keyed hashes, so the answer is computed from
the hash of what is asked; nothing else about the subject is revealed.
"""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dsar.api.auth import token_required
from dsar.errors import DsarError
from dsar.services import suppressions
from dsar.services.intake import normalise_email

blp = Blueprint("suppressions", __name__, description="Is this subject on the tenant's suppression list?")
SECURITY = [{"bearer": []}]


class SuppressionCheckArgs(Schema):
    email = fields.String(validate=validate.Length(max=320), metadata={"description": "an e-mail address"})
    phone = fields.String(validate=validate.Length(min=3, max=50), metadata={"description": "a phone number"})

    @validates_schema
    def _one_identifier(self, data, **kwargs):
        if not (data.get("email") or "").strip() and not (data.get("phone") or "").strip():
            raise ValidationError("give an email (or a phone) to check", field_name="email")
        if (data.get("email") or "").strip():
            try:
                normalise_email(data["email"])
            except DsarError as exc:
                raise ValidationError(exc.message, field_name="email") from None


class SuppressionCheckOut(Schema):
    suppressed = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), metadata={"description": "the request types that listed the subject"})
    since = fields.DateTime(allow_none=True, metadata={"description": "when the subject was first listed"})


@blp.get("/suppressions/check")
@token_required
@blp.doc(security=SECURITY)
@blp.arguments(SuppressionCheckArgs, location="query", as_kwargs=True)
@blp.response(200, SuppressionCheckOut)
def check(email: str | None = None, phone: str | None = None):
    """Whether the e-mail (or phone) is on the tenant's suppression list, why, and since when."""
    return suppressions.check(g.tenant.id, email=email or None, phone=(phone or "").strip() or None)
