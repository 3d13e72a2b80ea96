"""Portal pages: thin — parse input, call a service, render.

``/t/<slug>/``              the rights in plain words and the request form
``/t/<slug>/requests``      the form's POST: "check your e-mail", whoever the address is
``/t/<slug>/verify/<token>`` the link from the message: one click (POST) confirms
``/t/<slug>/confirm``       the same with the reference and six-digit code typed in
``/t/<slug>/find``          reference and address in, a new status link out by e-mail
``/r/<reference>?t=…``      the subject's status page, opened only by the secret link
``/r/<reference>/download?t=…`` the answer's ZIP from the status page, while downloadable
"""
from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from dsar.domain.deadlines import target_is_the_policy_date
from dsar.errors import DsarError
from dsar.extensions import db
from dsar.web.form_errors import show_on_form
from dsar.models import RightsRequest, Tenant
from dsar.portal import bp
from dsar.portal.forms import CodeForm, FindForm, ProofForm, RequestForm, WithdrawForm
from dsar.portal.rate_limits import find_limit, retry_after, submit_limit, verify_limit
from dsar.portal.status_link import request_for_status
from dsar.services import exports, intake, lifecycle, verification
from dsar.services.notifications import status_token
from dsar.services.tenants import get_tenant
from dsar.services.verification import MoreProofNeeded, VerificationFailed, WrongCode
from dsar.translations.rights import RIGHTS, RIGHTS_BY_TYPE, STATUS_WORDS
from dsar.web.unit_of_work import discard



@bp.get("/")
def home():
    """A single-tenant deployment: `/` leads straight to its portal. With several tenants it
    lists nothing and leads nowhere (SPEC §2): which businesses share a deployment is theirs
    to tell, and each portal is reached by its own URL."""
    tenants = db.session.execute(select(Tenant.slug).order_by(Tenant.id).limit(2)).scalars().all()
    if not tenants:
        return render_template("portal/no_tenant.html")
    if len(tenants) > 1:
        return render_template("portal/neutral_home.html")
    return redirect(url_for("portal.portal", slug=tenants[0]))


def gpc_signal() -> bool:
    """The browser's Global Privacy Control signal (``Sec-GPC: 1``), honoured as an opt-out."""
    return request.headers.get("Sec-GPC", "").strip() == "1"


@bp.after_request
def _not_cached(response):
    """Portal pages carry secrets in their URLs and answers: never kept by caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(429)
def _too_many(exc):
    """The portal's own answer to a client over a limit: when to try again, in its language."""
    wait = retry_after()
    minutes = math.ceil(wait / 60)
    when = ngettext("Please try again in %(num)d second.", "Please try again in %(num)d seconds.", wait) \
        if wait < 120 else ngettext("Please try again in %(num)d minute.", "Please try again in %(num)d minutes.",
                                    minutes)
    tenant = _tenant_in_path()
    return render_template("portal/too_many.html", tenant=tenant, when=when), 429, {"Retry-After": str(wait)}


def _tenant_in_path():
    """The tenant whose portal the request was for, when its path names one (for the branding)."""
    slug = (request.view_args or {}).get("slug")
    if slug is None:
        return None
    return db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()


@bp.get("/t/<slug>/")
def portal(slug: str):
    tenant = get_tenant(slug)
    form = RequestForm(type="opt_out" if gpc_signal() else None, regime=tenant.regime)
    return _portal_page(tenant, form)


def _portal_page(tenant, form: RequestForm, status: int = 200):
    return render_template("portal/portal.html", tenant=tenant, form=form, rights=RIGHTS,
                           gpc=gpc_signal()), status


@bp.post("/t/<slug>/requests")
@submit_limit
def submit(slug: str):
    tenant = get_tenant(slug)
    form = RequestForm()
    if not form.validate():
        return _portal_page(tenant, form, 400)
    if form.is_bot:
        return _to_sent_page(tenant, intake.decoy_reference(), form.type.data)
    try:
        created = intake.submit(tenant, form.submission(), channel="portal", language=str(get_locale()),
                                requester_ip=request.remote_addr, gpc=gpc_signal())
    except DsarError as exc:
        discard()
        show_on_form(form, exc)
        return _portal_page(tenant, form, 400)
    return _to_sent_page(tenant, created.reference, created.type)


def _to_sent_page(tenant, reference: str, request_type: str):
    """POST-redirect-GET: the answer lives at its own address, which can be reloaded or
    reopened; what it shows is kept in the visitor's session."""
    session["sent"] = {"slug": tenant.slug, "reference": reference, "opted_out": request_type == "opt_out",
                       "gpc": gpc_signal()}
    return redirect(url_for("portal.sent", slug=tenant.slug), code=303)


@bp.get("/t/<slug>/sent")
def sent(slug: str):
    """The one answer every accepted submission of a type gets, known address or not."""
    tenant = get_tenant(slug)
    shown = session.get("sent")
    if not shown or shown.get("slug") != tenant.slug:
        return redirect(url_for("portal.portal", slug=tenant.slug))
    return render_template("portal/sent.html", tenant=tenant, reference=shown["reference"],
                           opted_out=shown["opted_out"], gpc=shown["gpc"])


def _proof_message(exc: DsarError) -> str:
    """The verification service's answers in words of the page's language."""
    if isinstance(exc, WrongCode):
        left = exc.details["attempts_left"]
        if exc.details.get("field") == "answers":
            return ngettext("These details do not match our records. You have %(num)d more attempt.",
                            "These details do not match our records. You have %(num)d more attempts.", left)
        return ngettext("This code is not right. You have %(num)d more attempt.",
                        "This code is not right. You have %(num)d more attempts.", left)
    if isinstance(exc, MoreProofNeeded):
        if exc.details.get("field") == "declaration":
            return _("Please confirm the declaration to go on.")
        return ngettext("Please give %(num)d detail we can check against our records.",
                        "Please give %(num)d details we can check against our records.", exc.details["data_points"])
    return _("This link or code is not valid any more: it was used, it expired, or too many wrong codes "
             "were tried.")


# --- verification -------------------------------------------------------------------------


@bp.route("/t/<slug>/verify/<token>", methods=["GET", "POST"])
@verify_limit
def verify_link(slug: str, token: str):
    """GET shows a button (mail scanners that fetch links must not verify); POST verifies."""
    tenant = get_tenant(slug)
    challenge = verification.challenge_for_token(token)
    if challenge is None or challenge.request.tenant_id != tenant.id:
        return _link_invalid(tenant)
    needs = verification.requirements(tenant, challenge.request.type)
    kinds = verification.data_point_kinds(tenant) if needs.data_points else []
    form = ProofForm()
    form.use_regime(challenge.request.regime)
    if request.method == "POST" and form.validate():
        try:
            verified = verification.verify_with_token(token, answers=form.answers(kinds),
                                                      declaration=form.declaration.data)
        except VerificationFailed:
            return _link_invalid(tenant)
        except (MoreProofNeeded, WrongCode) as exc:
            discard()
            show_on_form(form, exc, _proof_message(exc))
        else:
            return _to_status(verified)
    return render_template("portal/verify.html", tenant=tenant, form=form, needs=needs, kinds=kinds,
                           request_type=challenge.request.type), 400 if form.errors else 200


def _link_invalid(tenant):
    return render_template("portal/link_invalid.html", tenant=tenant), 410


@bp.route("/t/<slug>/confirm", methods=["GET", "POST"])
@verify_limit
def confirm(slug: str):
    tenant = get_tenant(slug)
    form = CodeForm(reference=request.args.get("reference", ""))
    needs, kinds = None, []
    if request.method == "POST" and form.validate():
        found = _request_by_reference(tenant.id, form.reference.data)
        if found is not None:
            form.use_regime(found.regime)
            needs = verification.requirements(tenant, found.type)
            kinds = verification.data_point_kinds(tenant) if needs.data_points else []
        try:
            verified = verification.verify_with_code(found, form.code.data, answers=form.answers(kinds),
                                                     declaration=form.declaration.data)
        except (VerificationFailed, WrongCode, MoreProofNeeded) as exc:
            discard()
            show_on_form(form, exc, _proof_message(exc))
            if not isinstance(exc, MoreProofNeeded):
                needs = None  # the extra questions appear only once the code is right
        else:
            return _to_status(verified)
    return render_template("portal/confirm.html", tenant=tenant, form=form, needs=needs, kinds=kinds), \
        400 if form.errors else 200


def _request_by_reference(tenant_id: int, reference: str) -> RightsRequest | None:
    return lifecycle.find_request(reference, tenant_id=tenant_id)


def _to_status(verified: RightsRequest):
    flash(_("Thank you: your e-mail address is confirmed."))
    return redirect(url_for("portal.status", reference=verified.reference, t=status_token(verified)))


@bp.route("/t/<slug>/find", methods=["GET", "POST"])
@find_limit
def find(slug: str):
    """Back to one's request without the e-mailed link: the same answer whoever asks."""
    tenant = get_tenant(slug)
    form = FindForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("portal/find.html", tenant=tenant, form=form, sent=False), 400
        intake.resend_status_link(tenant, form.reference.data, form.email.data)
        return redirect(url_for("portal.find", slug=tenant.slug, sent=1), code=303)
    return render_template("portal/find.html", tenant=tenant, form=form, sent=request.args.get("sent") == "1")


# --- the subject's status page ------------------------------------------------------------


@bp.get("/r/<reference>")
def status(reference: str):
    token = request.args.get("t")
    shown = request_for_status(reference, token)
    tenant = lifecycle.tenant_of(shown)
    return render_template("portal/status.html", tenant=tenant, req=shown, token=token, form=WithdrawForm(),
                           words=STATUS_WORDS[shown.status], right=RIGHTS_BY_TYPE[shown.type],
                           dates=_answer_dates(shown), export=exports.downloadable_export(shown))


def _answer_dates(shown: RightsRequest) -> dict:
    """The date the subject is promised (the dashboard's target) and, where the law's limit is
    later, that limit too (SPEC §3; ``domain.deadlines``)."""
    legal = lifecycle.legal_deadline(shown)
    target = shown.target_date or legal
    return {"target": target, "legal": legal, "extended": shown.extended_to is not None,
            "promise": target_is_the_policy_date(target, shown.policy_date, legal)}


@bp.post("/r/<reference>/withdraw")
def withdraw(reference: str):
    token = request.form.get("t")  # CSRF is checked by CSRFProtect before this view runs
    shown = request_for_status(reference, token)
    was_scheduled = shown.status == "scheduled"
    lifecycle.withdraw(shown, "subject", reason="withdrawn by the subject on the status page")
    flash(_("The erasure is cancelled.") if was_scheduled else _("Your request is withdrawn."))
    return redirect(url_for("portal.status", reference=shown.reference, t=token))
