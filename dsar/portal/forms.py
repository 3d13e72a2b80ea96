"""The portal's forms (Flask-WTF: CSRF on every POST), labelled for people and screen readers."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, ValidationError

from dsar.domain.request_states import missing_details
from dsar.errors import DsarError
from dsar.services.intake import LIMITS, Agent, Submission, custom_identity_kinds
from dsar.services.tenants import get_tenant
from dsar.translations.rights import REGIME_NAMES, RIGHTS


def _length(field: str):
    return Length(max=LIMITS[field], message=_l("Use at most %(max)d characters.", max=LIMITS[field]))


class RequestForm(FlaskForm):
    type = RadioField(_l("What would you like to do?"), choices=[SelectChoice(right.type, right.title) for right in RIGHTS],
                      validators=[InputRequired(_l("Choose what you would like to do."))])
    email = EmailField(_l("Your e-mail address"), validators=[
        InputRequired(_l("Enter your e-mail address.")), _length("email"),
        Email(_l("Enter an e-mail address like name@example.com."))])
    name = StringField(_l("Your name"), validators=[Optional(), _length("name")])
    phone = StringField(_l("Phone number (optional)"), validators=[Optional(), _length("phone")])
    customer_id = StringField(_l("Customer or account number (optional)"),
                              validators=[Optional(), _length("customer_id")])
    details = TextAreaField(_l("Anything we should know"), validators=[_length("details")])
    regime = SelectField(_l("The law you are asking under"), choices=[SelectChoice(code, name) for code, name in REGIME_NAMES.items()],
                         validators=[InputRequired()])
    is_agent = BooleanField(_l("I am an authorised agent making this request for someone else"))
    agent_name = StringField(_l("Your name (the agent)"), validators=[_length("agent_name")])
    agent_email = EmailField(_l("Your e-mail address (the agent)"), validators=[_length("agent_email")])
    agent_relationship = StringField(_l("How you are authorised (e.g. power of attorney, parent)"),
                                     validators=[_length("agent_relationship")])
    #: A honeypot: hidden from people and assistive technology; bots fill it in.
    website = StringField(_l("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: The tenant's own identity kinds (its data map's ``identities:``) as optional
        #: fields, ``{kind: label}``; their values come in as ``identity_<kind>``.
        self.identities = _tenant_identities()
        self.identity_values = {kind: (request.form.get(f"identity_{kind}") or "").strip()
                                for kind in self.identities} if request.method == "POST" else {}

    def validate_details(self, field):
        if missing_details(self.type.data, field.data):
            raise ValidationError(_l("Tell us what is wrong and what it should say."))

    def validate_agent_name(self, field):
        self._agent_required(field)

    def validate_agent_relationship(self, field):
        self._agent_required(field)

    def validate_agent_email(self, field):
        self._agent_required(field)
        if self.is_agent.data:
            Email(_l("Enter an e-mail address like name@example.com."))(self, field)

    def _agent_required(self, field):
        if self.is_agent.data and not (field.data or "").strip():
            raise ValidationError(_l("An authorised agent must fill this in."))

    @property
    def is_bot(self) -> bool:
        return bool((self.website.data or "").strip())

    def submission(self) -> Submission:
        agent = None
        if self.is_agent.data:
            agent = Agent(self.agent_name.data, self.agent_email.data, self.agent_relationship.data)
        return Submission(type=self.type.data, email=self.email.data, name=self.name.data,
                          phone=self.phone.data, customer_id=self.customer_id.data, details=self.details.data,
                          regime=self.regime.data, agent=agent,
                          identities=tuple((k, v) for k, v in self.identity_values.items() if v))


def _tenant_identities() -> dict[str, str]:
    """The custom identity kinds of the portal's tenant (the ``slug`` of the URL)."""
    slug = (request.view_args or {}).get("slug")
    if not slug:
        return {}
    try:
        return custom_identity_kinds(get_tenant(slug))
    except DsarError:
        return {}


class ProofForm(FlaskForm):
    """What stronger verification asks for; shown only when the request type needs it."""

    phone = StringField(_l("Phone number on your account"), validators=[Optional(), _length("phone")])
    customer_id = StringField(_l("Customer or account number"), validators=[Optional(), _length("customer_id")])
    declaration = BooleanField(_l("I confirm that I am the person this request is about, or authorised to act "
                                  "for them, and that what I have given is true."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: The tenant's own identity kinds, answered as ``identity_<kind>`` (see RequestForm).
        self.identities = _tenant_identities()
        self.identity_values = {kind: (request.form.get(f"identity_{kind}") or "").strip()[:LIMITS["identity"]]
                                for kind in self.identities} if request.method == "POST" else {}

    def use_regime(self, regime: str | None) -> None:
        """The declaration in the words of the request's law: "under penalty of perjury" is
        Californian (CCPA regs §7062); elsewhere a plain confirmation."""
        if regime in DECLARATIONS:
            self.declaration.label.text = DECLARATIONS[regime]

    def answers(self, kinds: list[str]) -> dict[str, str]:
        given = {kind: getattr(self, kind).data for kind in kinds if hasattr(self, kind) and getattr(self, kind).data}
        given.update({kind: value for kind, value in self.identity_values.items() if kind in kinds and value})
        return given


#: Declarations worded for a regime; others keep the plain confirmation of ``ProofForm``.
DECLARATIONS = {
    "ccpa": _l("I declare, under penalty of perjury, that I am the person this request is about, or authorised "
               "to act for them."),
}


class CodeForm(ProofForm):
    reference = StringField(_l("Your request reference"), validators=[
        InputRequired(_l("Enter the reference from the message.")), Length(max=20)])
    code = StringField(_l("Six-digit code"), validators=[
        InputRequired(_l("Enter the six-digit code from the message.")),
        Regexp(r"^\s*\d(?:[\s-]?\d){5}\s*$", message=_l("The code has six digits."))])


class FindForm(FlaskForm):
    """Back to one's request without the e-mailed link: a new link goes to the address."""

    reference = StringField(_l("Your request reference"), validators=[
        InputRequired(_l("Enter the reference from the message.")), Length(max=20)])
    email = EmailField(_l("Your e-mail address"), validators=[
        InputRequired(_l("Enter your e-mail address.")), _length("email"),
        Email(_l("Enter an e-mail address like name@example.com."))])


class WithdrawForm(FlaskForm):
    """Only the CSRF token: the status page's secret link identifies the request."""
