"""What a person does for their own account: recovery codes, a forgotten password, an
invitation to a tenant (SPEC §2). Nobody else — no tenant's admin — can do these for them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from dsar.auth import bp, lockout, recovery_codes, two_factor
from dsar.auth import session as staff_session
from dsar.auth.forms import (ChangePasswordForm, ConfirmForm, ForgotPasswordForm, NewAccountForm, NewPasswordForm,
                             RecoveryForm)
from dsar.auth.views import SIGN_IN_LIMIT, _after_sign_in, _locked_out
from dsar.errors import DsarError
from dsar.extensions import db, limiter
from dsar.web.form_errors import show_on_form
from dsar.models import Tenant
from dsar.web.security_headers import no_store
from dsar.services import staff_accounts
from dsar.web.unit_of_work import discard

RESET_SENT = ("If a staff account uses this address, a link to choose a new password is on its way. "
              "It works once, within one hour.")


@bp.route("/login/recovery", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def recovery():
    """The second step with a recovery code instead of the app's code."""
    user = staff_session.pending_user()
    if user is None or session.get("pending_step") != "code":
        flash("Please sign in again.")
        return redirect(url_for("auth.login"))
    form = RecoveryForm()
    if form.validate_on_submit():
        if lockout.is_locked(user):
            return _locked_out()
        if recovery_codes.use(user, form.code.data):
            next_url = session.get("next")
            lockout.record_success(user)
            staff_session.start(user, second_factor=True)
            session["next"] = next_url
            flash(f"Signed in with a recovery code: {recovery_codes.remaining(user)} left. "
                  "Make new ones on your two-factor page if you are running low.")
            return _after_sign_in()
        discard()
        lockout.record_failure(user)
        if lockout.is_locked(user):
            return _locked_out()
        form.code.errors.append("That recovery code is not right, or was used already.")
    return render_template("auth/recovery.html", form=form), 400 if form.errors else 200


@bp.post("/account/recovery-codes")
def new_recovery_codes():
    if not current_user.is_authenticated or not current_user.totp_enabled or not session.get("mfa"):
        abort(403)
    no_store()
    codes = recovery_codes.issue(current_user)
    return render_template("auth/recovery_codes.html", codes=codes, continue_url=url_for("dashboard.queue"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def password_forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        staff_accounts.request_password_reset(form.email.data)
        return render_template("auth/password_sent.html", message=RESET_SENT)
    return render_template("auth/password_forgot.html", form=form), 400 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def password_reset(token: str):
    no_store()
    reset = staff_accounts.reset_for_token(token)
    if reset is None:
        return _dead_link("This link to choose a new password is not valid any more: it was used, or "
                          "more than an hour has passed. Ask for a new one.")
    form = NewPasswordForm()
    if form.validate_on_submit() and (done := _new_password(form, staff_accounts.reset_password, reset,
                                                            form.password.data)):
        return done
    return render_template("auth/password_reset.html", form=form), 400 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def password_change():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    no_store()
    form = ChangePasswordForm()
    if form.validate_on_submit() and (done := _new_password(form, staff_accounts.change_password, current_user,
                                                            form.current.data, form.password.data)):
        return done
    return render_template("auth/password_change.html", form=form), 400 if form.errors else 200


def _new_password(form, set_password, *args):
    """Set a new password (reset or change); on success every session of the person ends and
    they sign in again; a refusal goes onto the form (None)."""
    try:
        set_password(*args)
    except DsarError as exc:
        discard()
        show_on_form(form, exc)
        return None
    staff_session.end(everywhere=False)
    flash("Your password is changed, and every session you had is signed out. Sign in with it now.")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/invitations/<token>", methods=["GET", "POST"], endpoint="invitation")
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def invitation_page(token: str):
    """Accept an invitation: signed in as the invited address, or by creating the account."""
    no_store()
    invitation = staff_accounts.invitation_for_token(token)
    if invitation is None:
        return _dead_link("This invitation is not valid any more: it was accepted, withdrawn, or it expired. "
                          "Ask the organisation for a new one.")
    tenant = db.session.get(Tenant, invitation.tenant_id)
    if staff_accounts.user_by_email(invitation.email) is None:
        return _create_account(invitation, tenant)
    if not current_user.is_authenticated or not session.get("mfa", False) and _needs_mfa():
        return render_template("auth/invitation.html", tenant=tenant, invitation=invitation, form=None,
                               sign_in_url=url_for("auth.login", next=request.path))
    if current_user.email != invitation.email:
        return render_template("auth/invitation.html", tenant=tenant, invitation=invitation, form=None,
                               other_account=True), 403
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            staff_accounts.accept_invitation(invitation, current_user)
        except DsarError as exc:
            discard()
            flash(exc.message, "error")
            return redirect(url_for("dashboard.queue"), code=303)
        session["tenant_id"] = tenant.id
        flash(f"You are now {invitation.role} of {tenant.name}.")
        return redirect(url_for("dashboard.queue"), code=303)
    return render_template("auth/invitation.html", tenant=tenant, invitation=invitation, form=form)


def _needs_mfa() -> bool:
    return two_factor.required_for(current_user)


def _create_account(invitation, tenant):
    form = NewAccountForm(data={"name": invitation.name} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            staff_accounts.create_account(invitation, form.name.data, form.password.data)
        except DsarError as exc:
            discard()
            show_on_form(form, exc)
        else:
            flash(f"Your account is ready: sign in to work on {tenant.name}.")
            return redirect(url_for("auth.login"), code=303)
    return render_template("auth/invitation_new_account.html", tenant=tenant, invitation=invitation,
                           form=form), 400 if form.errors else 200


def _dead_link(message: str):
    return render_template("error.html", status=404, message=message), 404
