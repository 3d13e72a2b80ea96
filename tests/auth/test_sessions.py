"""Sessions end on the server (issue 13 finding 2): a cookie copied before sign-out, a
password change or a two-factor reset opens nothing afterwards; idle and maximum ages
follow DSAR_SESSION_IDLE_MINUTES and DSAR_SESSION_MAX_HOURS."""
import time

import pytest

from dsar import create_app
from dsar.extensions import db
from dsar.models import User
from tests.auth.test_staff_accounts import NEW_PASSWORD, last_mail, link_in
from tests.conftest import environ_for
from tests.factories import PASSWORD, make_tenant, make_user
from tests.dashboard.factories import FreshContextClient


def signed_in_client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/")
    assert client.get("/dashboard/").status_code == 200
    return client


def copy_of(app, client):
    """Another browser holding the same session cookie (copied off the first one)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value, domain=cookie.domain or "localhost")
    return thief


@pytest.fixture
def auditor(app):
    return make_user(make_tenant(), "auditor", email="ann@example.com")


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, auditor):
    client = signed_in_client(app, auditor)
    thief = copy_of(app, client)
    assert thief.get("/dashboard/").status_code == 200
    client.post("/logout")
    response = thief.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_out_ends_the_persons_other_sessions_too(app, auditor):
    laptop, phone = signed_in_client(app, auditor), signed_in_client(app, auditor)
    laptop.post("/logout")
    assert phone.get("/dashboard/").status_code == 302


def test_a_password_reset_ends_every_session(app, auditor):
    client = signed_in_client(app, auditor)
    other = app.test_client()
    other.post("/password/forgot", data={"email": auditor.email})
    link = link_in(last_mail("password_reset", auditor.email), "/password/reset")
    assert other.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert client.get("/dashboard/").status_code == 302


def test_an_operator_two_factor_reset_ends_every_session(app, auditor, cli):
    client = signed_in_client(app, auditor)
    assert cli.invoke(args=["users", "reset-two-factor", auditor.email]).exit_code == 0
    assert client.get("/dashboard/").status_code == 302


def test_a_new_sign_in_works_after_sign_out(app, auditor):
    client = signed_in_client(app, auditor)
    client.post("/logout")
    signed_in_client(app, auditor)
    db.session.expire_all()
    assert db.session.get(User, auditor.id).session_generation == 1


@pytest.fixture
def short_sessions(database_url, instance):
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False},
                     environ=environ_for(database_url, instance, DSAR_SESSION_IDLE_MINUTES="5",
                                         DSAR_SESSION_MAX_HOURS="2"), instance_path=str(instance))
    app.test_client_class = FreshContextClient
    return app


def test_idle_and_maximum_ages_follow_the_settings(app, short_sessions):
    user = make_user(make_tenant(), "auditor")
    client = signed_in_client(short_sessions, user)
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 4 * 60
    assert client.get("/dashboard/").status_code == 200  # 4 minutes idle: within 5
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 5 * 60 - 5
    assert client.get("/dashboard/").status_code == 302

    client = signed_in_client(short_sessions, user)
    with client.session_transaction() as session:
        session["signed_in_at"] = int(time.time()) - 2 * 3600 - 5
    assert client.get("/dashboard/").status_code == 302


def test_a_password_change_ends_every_session(app, auditor):
    laptop, phone = signed_in_client(app, auditor), signed_in_client(app, auditor)
    changed = laptop.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                     "confirm": NEW_PASSWORD})
    assert changed.status_code == 303
    assert phone.get("/dashboard/").status_code == 302 and laptop.get("/dashboard/").status_code == 302
    assert app.test_client().post("/login", data={"email": auditor.email, "password": NEW_PASSWORD}).status_code == 302


@pytest.mark.parametrize("data, field, words", [
    ({"current": "not my password!", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "current", "not right"),
    ({"current": PASSWORD, "password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}, "password", "too easy to guess"),
    ({"current": PASSWORD, "password": NEW_PASSWORD, "confirm": "something else"}, "confirm", "not the same"),
])
def test_a_password_change_names_the_wrong_field(app, auditor, data, field, words):
    client = signed_in_client(app, auditor)
    response = client.post("/account/password", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    assert client.get("/dashboard/").status_code == 200  # nothing changed, still signed in
