"""Marshmallow schemas of the staff request API (SPEC §8): input is validated here, once.

Output dates are ISO 8601: ``YYYY-MM-DD`` for deadline days, full timestamps with their UTC
offset for moments.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dsar.domain.deadlines import clock_start
from dsar.domain.regimes import REGIME_CODES
from dsar.domain.request_states import REQUEST_TYPES
from dsar.models import utcnow
from dsar.services import evidence, lifecycle
from dsar.services import identifiers as request_identifiers
from dsar.services.queue import DEFAULT_PER_PAGE, MAX_PER_PAGE, STATUS_FILTERS, is_overdue

_REASON = validate.Length(max=2000)


class DateOrDateTime(fields.Field):
    """An ISO 8601 date (``domain.deadlines.clock_start``) or datetime (UTC when it gives no offset)."""

    default_error_messages = {"invalid": "Not a valid ISO 8601 date or datetime."}

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            if len(value.strip()) == 10:  # a day: its start, or now when it is today (as the dashboard)
                return clock_start(date.fromisoformat(value.strip()), utcnow())
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise self.make_error("invalid") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --- input -----------------------------------------------------------------------------------


class QueueArgs(Schema):
    status = fields.String(validate=validate.OneOf(STATUS_FILTERS))
    type = fields.String(validate=validate.OneOf(REQUEST_TYPES))
    regime = fields.String(validate=validate.OneOf(REGIME_CODES))
    overdue = fields.Boolean()
    search = fields.String(validate=validate.Length(max=320),
                           metadata={"description": "an exact reference or e-mail address"})
    assignee_id = fields.Integer(validate=validate.Range(min=1))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class SubjectIn(Schema):
    email = fields.Email(validate=validate.Length(max=320))
    name = fields.String(validate=validate.Length(min=1, max=200))
    phone = fields.String(validate=validate.Length(min=3, max=50))
    customer_id = fields.String(validate=validate.Length(min=1, max=100))
    details = fields.String(validate=validate.Length(max=5000))
    identities = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=40)),
                             values=fields.String(validate=validate.Length(min=1, max=200)),
                             metadata={"description": "the organisation's own identity kinds, e.g. "
                                                      "{\"loyalty_id\": \"L-1001\"}; recorded as hints"})


class ManualEntryIn(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(lifecycle.MANUAL_CHANNELS))
    received_at = DateOrDateTime(required=True, metadata={
        "description": "when the request arrived (ISO date or datetime); the clock starts then"})
    type = fields.String(required=True, validate=validate.OneOf(REQUEST_TYPES))
    regime = fields.String(validate=validate.OneOf(REGIME_CODES),
                           metadata={"description": "default: the tenant's regime"})
    subject = fields.Nested(SubjectIn, required=True)
    verified = fields.Boolean(load_default=False)
    verification_reason = fields.String(validate=_REASON)

    @validates_schema
    def _consistent(self, data, **kwargs) -> None:
        if data["received_at"] > utcnow():
            raise ValidationError("cannot be in the future", field_name="received_at")
        if data.get("verified") and not (data.get("verification_reason") or "").strip():
            raise ValidationError("required when verified is true", field_name="verification_reason")
        subject = data["subject"]
        if not any(subject.get(k) for k in ("email", "name", "phone", "customer_id")):
            raise ValidationError("give at least one of email, name, phone, customer_id", field_name="subject")


class ActionIn(Schema):
    reason = fields.String(allow_none=True, validate=_REASON)
    kind = fields.String(validate=validate.Length(min=1, max=40),
                         metadata={"description": "confirm_identifier: which identifier (phone, customer_id …)"})
    outcome = fields.String(validate=validate.OneOf(lifecycle.FULFILLED_OUTCOMES),
                            metadata={"description": "complete: complied (default) or complied_in_part; a scheduled "
                                                     "erasure that has not run closes only in part, with a reason"})


# --- output ----------------------------------------------------------------------------------


class RequestOut(Schema):
    """One request as the queue lists it: no subject identifiers."""

    reference = fields.String()
    type = fields.String()
    status = fields.String()
    regime = fields.String()
    channel = fields.String()
    received_at = fields.DateTime()
    verified_at = fields.DateTime(allow_none=True)
    acknowledge_by = fields.Date(allow_none=True)
    due_date = fields.Date(metadata={"description": "the legal deadline, moved by pauses"})
    extended_to = fields.Date(allow_none=True, metadata={"description": "the legal deadline after an extension"})
    policy_date = fields.Date(allow_none=True, metadata={"description": "the tenant's own promise"})
    target_date = fields.Date(metadata={"description": "the earlier of the legal and the policy deadline"})
    paused_days = fields.Integer()
    paused_at = fields.DateTime(allow_none=True)
    days_left = fields.Method("_days_left", metadata={"description": "to the target date; null once closed"})
    overdue = fields.Method("_overdue")
    erasure_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    denial_reason = fields.String(allow_none=True)
    legal_hold = fields.Boolean()
    assignee_id = fields.Integer(allow_none=True)

    def _days_left(self, request) -> int | None:
        return lifecycle.days_left(request, utcnow().date())

    def _overdue(self, request) -> bool:
        return is_overdue(request, utcnow().date())


class EventOut(Schema):
    kind = fields.String()
    actor = fields.String()
    at = fields.DateTime()
    reason = fields.String(allow_none=True)
    details = fields.Dict(attribute="payload")


class SubjectOut(Schema):
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    customer_id = fields.String(allow_none=True)
    details = fields.String(allow_none=True)


class IdentifierOut(Schema):
    kind = fields.String()
    value = fields.String()
    proven = fields.Boolean(metadata={"description": "false: a hint, never used to find data"})
    proof = fields.String(allow_none=True, metadata={"description": "verified | data_point | staff"})


class RequestDetailOut(RequestOut):
    """One request for staff: with the subject (decrypted), its identifiers, the outcome and
    the audit trail."""

    legal_hold_reason = fields.String(allow_none=True)
    subject = fields.Method("_subject", metadata={"description": "decrypted; on this endpoint only"})
    identifiers = fields.Method("_identifiers", metadata={
        "description": "every identifier and whether it is proven; only proven ones reach data (SPEC §4)"})
    result = fields.Method("_result", metadata={
        "description": "the outcome as evidence, per table: rows exported, deleted, anonymized (columns), "
                       "retained (basis, until), kept because shared or still referenced (SPEC §6)"})
    last_failure = fields.Method("_last_failure", metadata={
        "description": "the latest fulfilment_failed event since the request last moved, or null"})
    events = fields.Method("_events", metadata={"description": "the audit trail, oldest first"})

    def _events(self, request) -> list[dict]:
        return EventOut(many=True).dump(lifecycle.timeline(request))

    def _subject(self, request) -> dict:
        return SubjectOut().dump(asdict(lifecycle.subject_of(request)))

    def _identifiers(self, request) -> list[dict]:
        listed = request_identifiers.listed(request)
        return IdentifierOut(many=True).dump([{**asdict(i), "proven": i.proven} for i in listed])

    def _result(self, request) -> dict | None:
        return {"tables": evidence.outcome_tables(request), **(request.result or {})} if request.result else None

    def _last_failure(self, request) -> dict | None:
        return evidence.last_failure(request)


class QueuePageOut(Schema):
    items = fields.List(fields.Nested(RequestOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()
