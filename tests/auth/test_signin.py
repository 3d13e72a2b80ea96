"""Staff sign-in: password, one answer for every failure, lockout, TOTP, session expiry, CSRF."""
import re
import time
from datetime import timedelta

import pytest
import pyotp

from dsar import create_app
from dsar.auth.lockout import GENERIC_FAILURE
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import User, utcnow
from tests.dashboard.factories import enrol_totp, make_request, sign_in
from tests.factories import PASSWORD, make_tenant, make_user



def login(client, email, password=PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def secret_on_page(html: bytes) -> str:
    match = re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', html)
    assert match, html
    return match.group(1).decode().replace(" ", "")


def test_login_page_answers(client):
    response = client.get("/login")
    assert response.status_code == 200 and b"Staff sign-in" in response.data


def test_unknown_address_wrong_password_and_inactive_account_get_the_same_answer(client):
    user = make_user(make_tenant(), "agent")
    inactive = make_user(make_tenant(), "agent")
    inactive.active = False
    db.session.commit()
    tries = [("nobody@example.com", PASSWORD), (user.email, "wrong password!"), (inactive.email, PASSWORD)]
    pages = set()
    for email, password in tries:
        response = login(client, email, password)
        assert response.status_code == 400
        assert b'id="password-error"' in response.data and GENERIC_FAILURE.encode() in response.data
        pages.add(response.data.replace(email.encode(), b"EMAIL"))
    assert len(pages) == 1  # the same page but for the address typed (CSRF off in tests)


def test_login_with_a_bad_address_names_the_field(client):
    response = login(client, "not-an-email", "x")
    assert response.status_code == 400 and b'id="email-error"' in response.data


@pytest.mark.calendar
def test_an_auditor_signs_in_with_a_password_and_reaches_the_queue(client):
    user = make_user(make_tenant(), "auditor")
    response = login(client, user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/")
    page = client.get("/dashboard/")
    assert page.status_code == 200 and b"Queue" in page.data and b"Test Staff" in page.data
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None


@pytest.mark.calendar
def test_a_dpo_enrols_totp_on_first_sign_in(client):
    user = make_user(make_tenant(), "dpo")
    response = login(client, user.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/two-factor")
    assert client.get("/dashboard/").status_code == 302  # not signed in before the second factor
    page = client.get("/account/two-factor")
    assert page.status_code == 200 and b"<svg" in page.data and b"QR code" in page.data
    secret = secret_on_page(page.data)
    assert secret_on_page(client.get("/account/two-factor").data) == secret  # stable across reloads
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert secret not in stored.totp_secret and secret in keyring().decrypt_text(stored.totp_secret)
    assert not stored.totp_enabled

    wrong = client.post("/account/two-factor", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 400 and b"code is not right" in wrong.data
    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and b'id="recovery-codes"' in done.data  # shown once, then on
    assert b'href="/dashboard/"' in done.data
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_enabled
    assert client.get("/dashboard/").status_code == 200


def test_local_development_shows_how_to_compute_a_code_without_a_phone(client, app):
    user = make_user(make_tenant(), "dpo")
    login(client, user.email)
    assert b'id="dev-hint"' not in client.get("/account/two-factor").data
    app.config["DSAR_ENV"] = "development"
    page = client.get("/account/two-factor").data
    assert b'id="dev-hint"' in page and f"TOTP('{secret_on_page(page)}')".encode() in page


def test_an_enrolled_user_needs_the_code(client):
    user = make_user(make_tenant(), "admin")
    secret = enrol_totp(user)
    response = login(client, user.email)
    assert response.headers["Location"].endswith("/login/code")
    assert client.get("/dashboard/").status_code == 302
    assert client.get("/account/two-factor").status_code == 302  # the enrol step is not open to them
    bad = client.post("/login/code", data={"code": "12345"})
    assert bad.status_code == 400 and b'id="code-error"' in bad.data
    good = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert good.status_code == 302 and good.headers["Location"].endswith("/dashboard/")
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.calendar
def test_a_code_is_accepted_once(client):
    user = make_user(make_tenant(), "admin")
    secret = enrol_totp(user)
    now = time.time()
    code = pyotp.TOTP(secret).at(now)
    login(client, user.email)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    client.post("/logout")
    login(client, user.email)
    replayed = client.post("/login/code", data={"code": code})
    assert replayed.status_code == 400 and b"used already" in replayed.data
    older = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(now - 30)})
    assert older.status_code == 400  # an earlier step than the one used: refused too
    assert client.post("/login/code", data={"code": pyotp.TOTP(secret).at(now + 30)}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id).totp_secret
    assert secret not in stored and keyring().decrypt_text(stored).count(secret) == 1


@pytest.mark.calendar
def test_the_code_step_expires(client, app):
    user = make_user(make_tenant(), "admin")
    secret = enrol_totp(user)
    login(client, user.email)
    with client.session_transaction() as session:
        session["pending_at"] -= app.config["DSAR_PENDING_SIGNIN_MINUTES"] * 60 + 1
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.calendar
def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(client):
    user = make_user(make_tenant(), "agent")
    for _ in range(5):
        assert login(client, user.email, "wrong password!").status_code == 400
    db.session.expire_all()
    locked = db.session.get(User, user.id)
    assert locked.locked_until is not None
    assert timedelta(minutes=14) < locked.locked_until - utcnow() <= timedelta(minutes=15)
    refused = login(client, user.email)  # the right password, but locked: the same answer
    assert refused.status_code == 400 and GENERIC_FAILURE.encode() in refused.data
    locked.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert login(client, user.email).status_code == 302


@pytest.mark.calendar
def test_wrong_codes_count_towards_the_lockout(client):
    user = make_user(make_tenant(), "dpo")
    secret = enrol_totp(user)
    good = pyotp.TOTP(secret).now()
    wrong = "000000" if good != "000000" else "111111"
    for attempt in range(5):
        login(client, user.email)
        response = client.post("/login/code", data={"code": wrong})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until > utcnow()
    assert login(client, user.email).status_code == 400


@pytest.mark.calendar
def test_a_session_ends_after_idleness_and_after_eight_hours(client, app):
    user = make_user(make_tenant(), "auditor")
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    login(client, user.email)
    assert client.get("/dashboard/").status_code == 200
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - app.config["DSAR_SESSION_IDLE_MINUTES"] * 60 - 5
    idle = client.get("/dashboard/")
    assert idle.status_code == 302 and "/login" in idle.headers["Location"]
    assert client.get("/dashboard/").status_code == 302  # really signed out

    login(client, user.email)
    with client.session_transaction() as session:
        session["signed_in_at"] = int(time.time()) - 8 * 3600 - 5
    assert client.get("/dashboard/").status_code == 302


def test_a_deactivated_user_is_signed_out(client):
    user = make_user(make_tenant(), "auditor")
    login(client, user.email)
    user.active = False
    db.session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_next_only_leads_within_the_site(client):
    user = make_user(make_tenant(), "auditor")
    request = make_request(_tenant_of(user))
    inside = login(client, user.email, query_string={"next": f"/dashboard/requests/{request.reference}"})
    assert inside.headers["Location"].endswith(f"/dashboard/requests/{request.reference}")
    client.post("/logout")
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = login(client, user.email, query_string={"next": evil})
        assert response.headers["Location"].endswith("/dashboard/"), evil
        client.post("/logout")


def _tenant_of(user):
    from dsar.models import Tenant

    return db.session.get(Tenant, user.memberships[0].tenant_id)


def test_sign_out(client):
    user = make_user(make_tenant(), "auditor")
    login(client, user.email)
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_csrf_is_enforced_on_sign_in_and_on_actions(client, app):
    tenant = make_tenant()
    user = make_user(tenant, "agent")
    request = make_request(tenant)
    sign_in(client, user)
    app.config["WTF_CSRF_ENABLED"] = True
    refused = client.post(f"/dashboard/requests/{request.reference}/actions/verify", data={"reason": "ID seen"})
    assert refused.status_code == 400 and b"CSRF" in refused.data
    db.session.refresh(request)
    assert request.status == "unverified"
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    page = client.get(f"/dashboard/requests/{request.reference}")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    accepted = client.post(f"/dashboard/requests/{request.reference}/actions/verify",
                           data={"reason": "ID seen", "csrf_token": token})
    assert accepted.status_code == 303
    db.session.refresh(request)
    assert request.status == "verified"


def test_sign_in_attempts_are_rate_limited_per_address(app_environ, instance):
    limited = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True},
                         environ=app_environ, instance_path=str(instance))
    client = limited.test_client()
    statuses = [client.post("/login", data={"email": "x@example.com", "password": "y"}).status_code
                for _ in range(21)]
    assert statuses[:20] == [400] * 20 and statuses[20] == 429
