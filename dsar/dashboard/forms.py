"""Dashboard forms (Flask-WTF: CSRF on every one). Choices come from the domain tables."""
from __future__ import annotations

from functools import cache

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, EmailField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from dsar.dashboard.tenant_config import VERIFIED_TYPES
from dsar.domain.regimes import REGIME_CODES, REGIME_NAMES
from dsar.domain.request_states import REQUEST_TYPES
from dsar.models import ROLES
from dsar.services.lifecycle import MANUAL_CHANNELS

TYPE_LABELS = {
    "access": "Access (Art. 15)", "portability": "Portability (Art. 20)", "erasure": "Erasure (Art. 17)",
    "rectification": "Rectification (Art. 16)", "restriction": "Restriction (Art. 18)",
    "objection": "Objection (Art. 21)", "withdraw_consent": "Withdrawal of consent (Art. 7(3))",
    "opt_out": "Opt-out of sale / marketing",
}


def _choices(values, labels=None) -> list[SelectChoice]:
    return [SelectChoice(v, (labels or {}).get(v, v.replace("_", " ").capitalize())) for v in values]


class ManualRequestForm(FlaskForm):
    channel = SelectField("Received by", choices=_choices(MANUAL_CHANNELS), validators=[DataRequired()])
    received_on = DateField("Date received", validators=[DataRequired()])
    type = SelectField("Type", choices=_choices(REQUEST_TYPES, TYPE_LABELS), validators=[DataRequired()])
    regime = SelectField("Regime", choices=_choices(REGIME_CODES, REGIME_NAMES))
    email = EmailField("Subject's e-mail", validators=[Optional(), Email(), Length(max=320)])
    name = StringField("Subject's name", validators=[Optional(), Length(max=200)])
    phone = StringField("Phone", validators=[Optional(), Length(max=50)])
    customer_id = StringField("Customer number", validators=[Optional(), Length(max=100)])
    details = TextAreaField("What they asked for", validators=[Optional(), Length(max=5000)])
    verified = BooleanField("I have already checked the subject's identity")
    verification_reason = StringField("How the identity was checked", validators=[Optional(), Length(max=2000)])


class StaffForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=320)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=_choices(ROLES))


class TokenForm(FlaskForm):
    name = StringField("What the token is for", validators=[DataRequired(), Length(max=100)])


class SettingsForm(FlaskForm):
    name = StringField("Organisation name", validators=[DataRequired(), Length(max=200)])
    regime = SelectField("Legal regime", choices=_choices(REGIME_CODES, REGIME_NAMES))
    country = StringField("Country or region (ISO code, for public holidays)",
                          validators=[DataRequired(), Length(max=10)])
    policy_days = IntegerField("Our own promise: answer within N days (empty: none)",
                               validators=[Optional(), NumberRange(1, 365)])
    grace_days = IntegerField("Erasure grace period (days)", validators=[NumberRange(0, 90)])
    dpo_email = EmailField("DPO e-mail (deadline reminders)", validators=[Optional(), Email(), Length(max=320)])
    verification_hours = IntegerField("Verification link valid for (hours)", validators=[NumberRange(1, 720)])
    unverified_expiry_days = IntegerField("Unverified requests expire after (days)",
                                          validators=[NumberRange(1, 365)])
    gdpr_pauses = BooleanField("GDPR: the clock pauses while we wait for the subject")
    export_days = IntegerField("Download link valid for (days)", validators=[NumberRange(1, 90)])
    supervisory_authority = StringField("Supervisory authority (where to complain)",
                                        validators=[Optional(), Length(max=300)])


@cache
def settings_form_class() -> type[SettingsForm]:
    """The settings form with, per request type, the strong-verification level (SPEC §4)."""
    fields = {}
    for kind in VERIFIED_TYPES:
        fields[f"points_{kind}"] = IntegerField(f"{TYPE_LABELS[kind]}: data points to match",
                                                default=0, validators=[NumberRange(0, 5)])
        fields[f"declaration_{kind}"] = BooleanField(f"{TYPE_LABELS[kind]}: signed declaration")
    return type("TenantSettingsForm", (SettingsForm,), fields)
