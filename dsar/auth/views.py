from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from dsar.auth import bp
from dsar.auth.forms import LoginForm
from dsar.extensions import db, login_manager
from dsar.models import User
from dsar.services.staff import password_matches

login_manager.login_view = "auth.login"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.execute(select(User).where(User.email == form.email.data.strip().lower())).scalar_one_or_none()
        if user is not None and user.active and password_matches(user, form.password.data):
            login_user(user)
            return redirect(url_for("auth.signed_in"))
        # The same answer for an unknown address and a wrong password.
        form.password.errors.append("E-mail or password is not right.")
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


@bp.get("/staff")
def signed_in():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/signed_in.html")


@bp.post("/logout")
def logout():
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))
