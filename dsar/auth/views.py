"""Sign-in pages: password, then the second factor (code, or enrolment the first time)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from dsar.auth import bp, lockout, recovery_codes, two_factor
from dsar.auth import session as staff_session
from dsar.auth.forms import CodeForm, LoginForm
from dsar.extensions import db, limiter, login_manager
from dsar.models import User

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."

#: Per client address, on top of the per-account lockout (which an attacker spreading
#: guesses over many accounts would not trip).
SIGN_IN_LIMIT = "20 per minute; 200 per hour"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an address elsewhere (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _next_url() -> str:
    return _safe_next(session.pop("next", None)) or url_for("dashboard.queue")


def _after_sign_in():
    return redirect(_next_url())


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("dashboard.queue"))
    form = LoginForm()
    if form.validate_on_submit():
        user = lockout.check_password(form.email.data, form.password.data)
        if user is not None:
            next_url = _safe_next(request.args.get("next"))
            if user.totp_enabled:
                staff_session.begin_pending(user, "code")
            elif two_factor.required_for(user):
                staff_session.begin_pending(user, "enrol")
            else:
                lockout.record_success(user)
                staff_session.start(user, second_factor=False)
                session["next"] = next_url
                return _after_sign_in()
            session["next"] = next_url
            return redirect(url_for("auth.code" if user.totp_enabled else "auth.two_factor"))
        # The same answer for an unknown address, a wrong password and a locked account.
        form.password.errors.append(lockout.GENERIC_FAILURE)
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def code():
    user = staff_session.pending_user()
    if user is None or session.get("pending_step") != "code":
        flash("Please sign in again.")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if lockout.is_locked(user):
            return _locked_out()
        if two_factor.accept_code(user, form.code.data):
            next_url = session.get("next")
            lockout.record_success(user)
            staff_session.start(user, second_factor=True)
            session["next"] = next_url
            return _after_sign_in()
        lockout.record_failure(user)
        if lockout.is_locked(user):
            return _locked_out()
        form.code.errors.append("That code is not right, or was used already. Wait for the next code "
                                "your app shows for this site.")
    return render_template("auth/code.html", form=form), 400 if form.errors else 200


def _locked_out():
    staff_session.end(everywhere=False)
    flash("Too many wrong codes: the account is locked for 15 minutes.")
    return redirect(url_for("auth.login"))


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor")
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def two_factor_page():
    """Enrolment: first sign-in of an admin or DPO (pending), or any signed-in user."""
    pending = staff_session.pending_user() if session.get("pending_step") == "enrol" else None
    user = pending or (current_user if current_user.is_authenticated else None)
    if user is None:
        return redirect(url_for("auth.login"))
    if user.totp_enabled:
        if pending is not None:
            abort(409)
        return render_template("auth/two_factor_on.html", remaining=recovery_codes.remaining(user))
    secret = two_factor.start_enrolment(user)
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.confirm_enrolment(user, form.code.data):
            next_url = session.get("next")
            lockout.record_success(user)
            codes = recovery_codes.issue(user)
            staff_session.start(user, second_factor=True)
            session["next"] = next_url
            return render_template("auth/recovery_codes.html", codes=codes, continue_url=_next_url())
        form.code.errors.append("That code is not right. Scan the QR code again or type the key, then "
                                "enter the code your app shows now.")
    uri = two_factor.provisioning_uri(user, secret)
    return render_template("auth/two_factor.html", form=form, secret=secret, qr=two_factor.qr_svg(uri),
                           required=two_factor.required_for(user)), 400 if form.errors else 200


@bp.get("/staff")
def signed_in():
    return redirect(url_for("dashboard.queue"))


@bp.post("/logout")
def logout():
    staff_session.end()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
