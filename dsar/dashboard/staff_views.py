"""The organisation's people and API tokens."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from dsar.dashboard import bp
from dsar.dashboard.access import actor, requires
from dsar.dashboard.forms import StaffForm, TokenForm
from dsar.errors import DsarError
from dsar.extensions import db
from dsar.web.form_errors import show_on_form
from dsar.models import ApiToken, for_tenant
from dsar.services import staff_accounts, staff_members
from dsar.services.api_tokens import create_token, revoke_token
from dsar.web.unit_of_work import discard


@bp.get("/users")
def users():
    return _users_page(StaffForm())


def _users_page(form: StaffForm):
    return render_template("dashboard/users.html", staff=staff_members.list_staff(g.tenant.id), form=form,
                           invitations=staff_accounts.pending_invitations(g.tenant.id),
                           me=current_user.id), 400 if form.errors else 200


@bp.post("/users")
@requires("manage")
def user_create():
    """Invite an address: the same answer whether or not it has an account anywhere."""
    form = StaffForm()
    if form.validate_on_submit():
        try:
            staff_accounts.invite(g.tenant, form.email.data, form.name.data, form.role.data,
                                  invited_by=current_user)
            flash(f"An invitation to be {form.role.data} of {g.tenant.name} was sent to "
                  f"{form.email.data.strip()}. They get access once they accept it; the link works for 7 days.")
            return redirect(url_for("dashboard.users"), code=303)
        except DsarError as exc:
            discard()
            show_on_form(form, exc)
    return _users_page(form)


@bp.post("/users/<int:user_id>/remove")
@requires("manage")
def user_remove(user_id: int):
    staff_members.member(g.tenant.id, user_id)  # NotFound (404) for anyone outside this tenant
    try:
        user = staff_members.remove(g.tenant.id, user_id, current_user.id)
        flash(f"{user.name} no longer has access to this organisation.")
    except DsarError as exc:
        discard()
        flash(exc.message, "error")
    return redirect(url_for("dashboard.users"), code=303)


@bp.post("/invitations/<int:invitation_id>/withdraw")
@requires("manage")
def invitation_withdraw(invitation_id: int):
    invitation = staff_accounts.withdraw_invitation(g.tenant.id, invitation_id, actor=actor())  # 404 if foreign
    flash(f"The invitation to {invitation.email} no longer works.")
    return redirect(url_for("dashboard.users"), code=303)


@bp.get("/tokens")
def tokens():
    return _tokens_page(TokenForm())


def _tokens_page(form: TokenForm, secret: str | None = None):
    rows = db.session.execute(for_tenant(ApiToken, g.tenant.id).order_by(ApiToken.id.desc())).scalars().all()
    return render_template("dashboard/tokens.html", tokens=rows, form=form, secret=secret), \
        400 if form.errors else 200


@bp.post("/tokens")
@requires("manage")
def token_create():
    form = TokenForm()
    if form.validate_on_submit():
        try:
            issued = create_token(g.tenant, form.name.data, actor=actor())
        except DsarError as exc:
            discard()
            form.name.errors.append(exc.message)
            return _tokens_page(form)
        # Shown on this answer only (never stored, never put in a redirect or flash cookie).
        return _tokens_page(TokenForm(formdata=None), secret=issued.secret)
    return _tokens_page(form)


@bp.post("/tokens/<int:token_id>/revoke")
@requires("manage")
def token_revoke(token_id: int):
    token = revoke_token(g.tenant, token_id, actor=actor())  # NotFound for another tenant's token
    flash(f"Token {token.name} revoked: it no longer opens the API.")
    return redirect(url_for("dashboard.tokens"), code=303)
