"""Staff accounts stay in their tenant (SPEC §2, issue 13 finding 1).

A tenant's admin manages memberships of their own tenant only: adding an address sends an
invitation the person accepts; nothing they do changes another person's password, second
factor or lockout, or tells whether an address has an account elsewhere. The person resets
their own password by e-mail and uses recovery codes; the operator has `dsar users …`.
"""
import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa

from dsar.auth import recovery_codes
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.mail.outbox import envelope_of
from dsar.models import AuditEvent, Membership, OutboxMessage, PasswordReset, RecoveryCode, User, utcnow
from tests.dashboard.factories import enrol_totp, sign_in
from tests.factories import PASSWORD, make_tenant, make_user

NEW_PASSWORD = "violet tractor umbrella seventeen"


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def last_mail(template: str, to: str) -> str:
    """The text of the newest ``template`` message to ``to``, as the recipient gets it."""
    db.session.expire_all()
    for message in db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.template == template)
                                      .order_by(OutboxMessage.id.desc())).scalars():
        envelope = envelope_of(db.session, message)
        if envelope.to == to:
            return envelope.text
    raise AssertionError(f"no {template} message to {to}")


def link_in(text: str, path: str) -> str:
    match = re.search(rf"http://localhost({path}/[A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


@pytest.fixture
def two_tenants():
    alpha, beta = make_tenant("alpha", name="Alpha Ltd"), make_tenant("beta", name="Beta Corp")
    dana = make_user(alpha, "dpo", email="dana@alpha.example")
    dana.name = "Dana Privacy"
    db.session.commit()
    enrol_totp(dana)
    mallory = make_user(beta, "admin", email="mallory@beta.example")
    return alpha, beta, dana, mallory


def test_adding_another_tenants_staff_sends_an_invitation_and_reveals_nothing(client, two_tenants):
    alpha, beta, dana, mallory = two_tenants
    sign_in(client, mallory, beta)
    answers = []
    for email in ("dana@alpha.example", "nobody@elsewhere.example"):
        response = client.post("/dashboard/users", data={"email": email, "name": "Typed Name", "role": "auditor"},
                               follow_redirects=True)
        assert response.status_code == 200
        answers.append(response.get_data(as_text=True).replace(email, "EMAIL"))
    assert "Dana Privacy" not in answers[0]
    flash = [re.search(r"An invitation.*?accept it[^<]*", page).group(0) for page in answers]
    assert flash[0] == flash[1]
    # No membership without consent, and both addresses got the same message.
    assert not db.session.execute(sa.select(Membership).where(Membership.user_id == dana.id,
                                                              Membership.tenant_id == beta.id)).first()
    texts = [last_mail("invitation", email).replace(link_in(last_mail("invitation", email), "/invitations"), "LINK")
             for email in ("dana@alpha.example", "nobody@elsewhere.example")]
    assert texts[0] == texts[1]


def test_the_invited_person_accepts_while_signed_in(app, client, two_tenants):
    alpha, beta, dana, mallory = two_tenants
    sign_in(client, mallory, beta)
    client.post("/dashboard/users", data={"email": "dana@alpha.example", "name": "x", "role": "auditor"})
    link = link_in(last_mail("invitation", "dana@alpha.example"), "/invitations")

    stranger = app.test_client()
    page = stranger.get(link).get_data(as_text=True)
    assert "sign in" in page and "Accept the invitation" not in page
    assert stranger.post(link).status_code == 200  # not accepted without signing in
    as_mallory = app.test_client()
    sign_in(as_mallory, mallory, beta)
    assert as_mallory.post(link).status_code == 403  # another account cannot take it
    assert not db.session.execute(sa.select(Membership).where(Membership.user_id == dana.id,
                                                              Membership.tenant_id == beta.id)).first()

    as_dana = app.test_client()
    sign_in(as_dana, dana, alpha)
    assert "Accept the invitation" in as_dana.get(link).get_data(as_text=True)
    assert as_dana.post(link).status_code == 303
    role = db.session.execute(sa.select(Membership.role).where(Membership.user_id == dana.id,
                                                               Membership.tenant_id == beta.id)).scalar_one()
    assert role == "auditor"
    assert as_dana.post(link).status_code == 404  # single use


def test_a_new_address_creates_its_account_from_the_invitation(app, client, two_tenants):
    alpha, beta, dana, mallory = two_tenants
    sign_in(client, mallory, beta)
    client.post("/dashboard/users", data={"email": "New.Person@Beta.example", "name": "Nia", "role": "auditor"})
    link = link_in(last_mail("invitation", "new.person@beta.example"), "/invitations")
    other = app.test_client()
    weak = other.post(link, data={"name": "Nia", "password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"})
    assert weak.status_code == 400 and 'id="password-error"' in weak.get_data(as_text=True)
    assert "too easy to guess" in weak.get_data(as_text=True)
    done = other.post(link, data={"name": "Nia", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303
    signed = app.test_client().post("/login", data={"email": "new.person@beta.example", "password": NEW_PASSWORD})
    assert signed.headers["Location"].endswith("/dashboard/")


def test_an_expired_invitation_is_refused(app, client, two_tenants):
    alpha, beta, dana, mallory = two_tenants
    sign_in(client, mallory, beta)
    client.post("/dashboard/users", data={"email": "late@beta.example", "name": "Late", "role": "auditor"})
    link = link_in(last_mail("invitation", "late@beta.example"), "/invitations")
    db.session.execute(sa.text("UPDATE invitations SET expires_at = :past"), {"past": utcnow() - timedelta(minutes=1)})
    db.session.commit()
    assert app.test_client().get(link).status_code == 404


@pytest.mark.parametrize("action", ["reset-two-factor", "unlock"])
def test_a_tenant_admin_has_no_power_over_a_persons_second_factor_or_lockout(client, two_tenants, action):
    alpha, beta, dana, mallory = two_tenants
    shared = make_user(alpha, "agent", email="shared@example.com")
    db.session.add(Membership(user_id=shared.id, tenant_id=beta.id, role="agent"))
    secret = enrol_totp(shared)
    shared.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    sign_in(client, mallory, beta)
    assert client.post(f"/dashboard/users/{shared.id}/{action}").status_code in (404, 405)
    after = fresh(User, shared.id)
    assert after.totp_enabled and secret in keyring().decrypt_text(after.totp_secret)
    assert after.locked_until is not None


def test_password_reset_by_email_is_single_use_and_answers_the_same_for_unknown_addresses(app, client):
    user = make_user(make_tenant(), "auditor", email="pat@example.com")
    pages = []
    for email in ("pat@example.com", "ghost@example.com"):
        response = client.post("/password/forgot", data={"email": email})
        assert response.status_code == 200
        pages.append(response.get_data(as_text=True))
    assert pages[0] == pages[1]
    assert db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one() == 1
    link = link_in(last_mail("password_reset", "pat@example.com"), "/password/reset")
    token = link.rsplit("/", 1)[1]
    assert token not in str(db.session.execute(sa.select(PasswordReset.token_hash)).scalars().all())

    weak = client.post(link, data={"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"})
    assert weak.status_code == 400 and "too easy to guess" in weak.get_data(as_text=True)
    mismatch = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400 and 'id="confirm-error"' in mismatch.get_data(as_text=True)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert client.get(link).status_code == 404  # used
    assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 400
    signed = app.test_client().post("/login", data={"email": user.email, "password": NEW_PASSWORD})
    assert signed.status_code == 302


def test_a_reset_link_expires(app, client):
    make_user(make_tenant(), "auditor", email="pat@example.com")
    client.post("/password/forgot", data={"email": "pat@example.com"})
    link = link_in(last_mail("password_reset", "pat@example.com"), "/password/reset")
    db.session.execute(sa.update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 404


def test_forgot_password_with_a_bad_address_names_the_field(client):
    response = client.post("/password/forgot", data={"email": "not-an-address"})
    assert response.status_code == 400 and 'id="email-error"' in response.get_data(as_text=True)


def test_recovery_codes_are_shown_once_stored_hashed_and_single_use(app, client):
    user = make_user(make_tenant(), "dpo")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    shown = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()}).get_data(as_text=True)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", shown)
    assert len(codes) == recovery_codes.COUNT
    stored = db.session.execute(sa.select(RecoveryCode.code_hash)).scalars().all()
    assert not any(code.replace("-", "") in str(stored) for code in codes)

    def sign_in_with(code):
        other = app.test_client()
        other.post("/login", data={"email": user.email, "password": PASSWORD})
        return other.post("/login/recovery", data={"code": code})

    assert sign_in_with(codes[0]).status_code == 302
    again = sign_in_with(codes[0])
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    assert sign_in_with("zzzzz-zzzzz").status_code == 400
    malformed = sign_in_with("not a code")
    assert malformed.status_code == 400 and 'id="code-error"' in malformed.get_data(as_text=True)


def test_an_agent_needs_two_factor(client):
    user = make_user(make_tenant(), "agent")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/account/two-factor")


def test_an_auditor_signs_in_with_a_password_only(client):
    user = make_user(make_tenant(), "auditor")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/dashboard/")


def test_operator_resets_two_factor_and_unlocks_from_the_cli(cli):
    tenant = make_tenant()
    user = make_user(tenant, "dpo", email="lost@example.com")
    enrol_totp(user)
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    recovery_codes.issue(user)
    db.session.commit()
    result = cli.invoke(args=["users", "reset-two-factor", "Lost@Example.com"])
    assert result.exit_code == 0, result.output
    after = fresh(User, user.id)
    assert not after.totp_enabled and after.totp_secret is None and after.session_generation == 1
    assert recovery_codes.remaining(after) == 0
    assert cli.invoke(args=["users", "unlock", "lost@example.com"]).exit_code == 0
    assert fresh(User, user.id).locked_until is None
    kinds = set(db.session.execute(sa.select(AuditEvent.kind).where(AuditEvent.tenant_id == tenant.id)).scalars())
    assert {"staff_two_factor_reset", "staff_unlocked"} <= kinds


@pytest.mark.parametrize("command", ["reset-two-factor", "unlock"])
@pytest.mark.parametrize("email, words", [("nobody@example.com", "no staff account"), ("not an address", "email")])
def test_operator_commands_refuse_bad_input_in_one_line(cli, command, email, words):
    result = cli.invoke(args=["users", command, email])
    assert result.exit_code != 0
    assert words in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("password, words", [("aaaaaaaaaaaa", "too easy to guess"), ("short", "at least 12"),
                                             ("x" * 201, "at most 200")])
def test_users_create_refuses_a_weak_password_in_one_line(cli, password, words):
    make_tenant("acme")
    result = cli.invoke(args=["users", "create", "--tenant", "acme", "--email", "a@example.com", "--role",
                              "auditor", "--password", password])
    assert result.exit_code != 0 and words in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
