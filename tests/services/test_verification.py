"""Verification (SPEC §4): single use, expiry, attempt limit, stronger proof, and the
expire-unverified job."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.jobs.registry import JobContext, get_job
from dsar.models import AuditEvent, RightsRequest, VerificationChallenge, utcnow
from dsar.services import intake, lifecycle, verification
from dsar.services.verification import MoreProofNeeded, VerificationFailed, WrongCode
from tests.factories import make_tenant
from tests.portal.helpers import last_mail, mails



def _submit(tenant, type="access", email="alice@example.com", **fields):
    request = intake.submit(tenant, intake.Submission(type=type, email=email, name="Alice", **fields))
    db.session.commit()
    return request


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def tenant(app):
    return make_tenant("acme", name="Acme")


@pytest.mark.calendar
def test_link_and_code_are_stored_only_as_hashes(tenant):
    request = _submit(tenant)
    mail = last_mail("verification")
    token = mail.verify_path.rsplit("/", 1)[1]
    [challenge] = request.challenges
    assert challenge.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(mail.code) == 6 and mail.code not in challenge.code_hash and token not in challenge.code_hash
    assert challenge.code_hash != hashlib.sha256(mail.code.encode()).hexdigest()  # keyed, not a bare hash
    hours = (challenge.expires_at - challenge.created_at).total_seconds() / 3600
    assert hours == 72


def test_the_right_code_verifies_once(tenant):
    request = _submit(tenant)
    code = last_mail("verification").code
    verification.verify_with_code(request, f" {code[:3]} {code[3:]} ")  # spaces are forgiven
    db.session.commit()
    assert request.status == "verified" and request.verified_at is not None
    event = db.session.execute(select(AuditEvent).where(AuditEvent.kind == "verify")).scalar_one()
    assert event.actor == "subject" and "code" in event.reason
    assert last_mail().subject == f"We have your request {request.reference}"
    with pytest.raises(VerificationFailed):
        verification.verify_with_code(request, code)


def test_the_link_verifies_once(tenant):
    request = _submit(tenant)
    token = last_mail("verification").verify_path.rsplit("/", 1)[1]
    assert verification.challenge_for_token(token).request is request
    assert verification.verify_with_token(token) is request
    db.session.commit()
    assert request.status == "verified" and verification.challenge_for_token(token) is None
    with pytest.raises(VerificationFailed):
        verification.verify_with_token(token)
    with pytest.raises(VerificationFailed):
        verification.verify_with_token("not-a-token")


@pytest.mark.calendar
def test_code_and_link_expire(tenant):
    tenant.settings = {"verification_hours": 24}
    db.session.commit()
    request = _submit(tenant)
    mail = last_mail("verification")
    later = utcnow() + timedelta(hours=24, minutes=1)
    with pytest.raises(VerificationFailed):
        verification.verify_with_code(request, mail.code, now=later)
    with pytest.raises(VerificationFailed):
        verification.verify_with_token(mail.verify_path.rsplit("/", 1)[1], now=later)
    assert request.status == "unverified"
    verification.verify_with_code(request, mail.code, now=utcnow() + timedelta(hours=23))
    assert request.status == "verified"


def test_wrong_codes_are_counted_and_the_challenge_dies(tenant):
    request = _submit(tenant)
    code = last_mail("verification").code
    left = []
    for _ in range(4):
        with pytest.raises(WrongCode) as caught:
            verification.verify_with_code(request, _wrong(code))
        db.session.rollback()  # what a view does after an error: the count survives it
        left.append(caught.value.details["attempts_left"])
    assert left == [4, 3, 2, 1]
    with pytest.raises(VerificationFailed):  # the fifth wrong code kills the challenge
        verification.verify_with_code(request, _wrong(code))
    db.session.rollback()
    with pytest.raises(VerificationFailed):  # even the right code is refused now
        verification.verify_with_code(request, code)
    assert db.session.execute(select(VerificationChallenge.attempts)).scalar_one() == 5
    assert request.status == "unverified"


def test_the_attempt_limit_is_a_tenant_setting(tenant):
    tenant.settings = {"verification_max_attempts": 2}
    db.session.commit()
    request = _submit(tenant)
    code = last_mail("verification").code
    with pytest.raises(WrongCode) as caught:
        verification.verify_with_code(request, _wrong(code))
    assert caught.value.details["attempts_left"] == 1
    with pytest.raises(VerificationFailed):
        verification.verify_with_code(request, _wrong(code))


def test_a_new_message_makes_the_old_link_and_code_useless(tenant, monkeypatch):
    codes = iter([111111, 222222])
    monkeypatch.setattr(verification.secrets, "randbelow", lambda _: next(codes))
    request = _submit(tenant)
    first = last_mail("verification")
    intake.send_verification(request, tenant)
    db.session.commit()
    second = last_mail("verification")
    assert (first.code, second.code) == ("111111", "222222")
    with pytest.raises(VerificationFailed):
        verification.verify_with_token(first.verify_path.rsplit("/", 1)[1])
    with pytest.raises(WrongCode):
        verification.verify_with_code(request, first.code)
    db.session.rollback()
    verification.verify_with_code(request, second.code)
    assert request.status == "verified"


def test_an_unknown_request_or_a_closed_one_cannot_be_verified(tenant):
    with pytest.raises(VerificationFailed):
        verification.verify_with_code(None, "123456")
    request = _submit(tenant)
    code = last_mail("verification").code
    lifecycle.withdraw(request, "subject")
    db.session.commit()
    with pytest.raises(VerificationFailed):
        verification.verify_with_code(request, code)


def test_a_declaration_can_be_required_per_request_type(tenant):
    tenant.settings = {"strong_verification": {"access": {"declaration": True}}}
    db.session.commit()
    request = _submit(tenant)
    code = last_mail("verification").code
    with pytest.raises(MoreProofNeeded) as caught:
        verification.verify_with_code(request, code)
    assert caught.value.details == {"field": "declaration", "data_points": 0, "declaration": True, "fields": []}
    # Asking for more proof costs no attempt, and the code still works.
    assert request.challenges[0].attempts == 0 and request.status == "unverified"
    verification.verify_with_code(request, code, declaration=True)
    assert request.status == "verified"
    reason = db.session.execute(select(AuditEvent.reason).where(AuditEvent.kind == "verify")).scalar_one()
    assert "declaration" in reason
    # Other request types are not affected.
    erasure = _submit(tenant, type="erasure", email="bob@example.com")
    verification.verify_with_code(erasure, last_mail("verification").code)
    assert erasure.status == "verified"


# --- data points, matched against the tenant's own database --------------------------------


CUSTOMER_MAP = """\
tenant: acme
sources:
  - name: app
    url: sqlite:///{path}
    tables:
      - name: accounts
        primary_key: id
        identity: {{email: email, phone: phone, customer_id: number}}
"""


@pytest.fixture
def customer_db(tenant, tmp_path):
    """The tenant's own application database, with one customer, reached through its data map."""
    import sqlalchemy as sa

    path = tmp_path / "customers.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, phone TEXT, number TEXT)"))
        conn.execute(sa.text("INSERT INTO accounts VALUES (1, 'Alice@Example.com', '+441234567890', 'C-1001'),"
                             " (2, 'mallory@example.com', '+449999999999', 'C-2002')"))
    engine.dispose()
    datamap = tmp_path / "acme.yml"
    datamap.write_text(CUSTOMER_MAP.format(path=path))
    tenant.datamap_path = str(datamap)
    tenant.settings = {"strong_verification": {"access": {"data_points": 2}}}
    db.session.commit()
    yield path
    from dsar.datamap.sources import dispose_engines

    dispose_engines()


@pytest.mark.calendar
@pytest.mark.parametrize("answers, matched", [
    ({"phone": "+441234567890", "customer_id": "C-1001"}, 2),
    ({"phone": "+441234567890", "customer_id": "C-2002"}, 1),  # another customer's number
    ({"phone": "+449999999999"}, 0),
    ({"email": "alice@example.com"}, 0),                       # the address itself never counts
    ({}, 0),
])
def test_match_data_points(tenant, customer_db, answers, matched):
    from dsar.services.lifecycle import Subject

    assert verification.match_data_points(tenant, Subject(email="alice@example.com"), answers) == matched
    assert verification.data_point_kinds(tenant) == ["customer_id", "phone"]


def test_data_points_must_match_the_tenants_records(tenant, customer_db):
    request = _submit(tenant)
    code = last_mail("verification").code
    with pytest.raises(MoreProofNeeded) as caught:
        verification.verify_with_code(request, code)
    assert caught.value.details["fields"] == ["customer_id", "phone"]
    with pytest.raises(WrongCode) as caught:  # one of two is not enough, and costs an attempt
        verification.verify_with_code(request, code, answers={"phone": "+441234567890", "customer_id": "C-9"})
    db.session.rollback()
    assert caught.value.details == {"field": "answers", "attempts_left": 4}
    verification.verify_with_code(request, code, answers={"phone": "+441234567890", "customer_id": "C-1001"})
    assert request.status == "verified"


def test_an_address_the_tenant_does_not_know_cannot_pass_data_points(tenant, customer_db):
    request = _submit(tenant, email="stranger@example.com")
    code = last_mail("verification").code
    with pytest.raises(WrongCode):
        verification.verify_with_code(request, code, answers={"phone": "+441234567890", "customer_id": "C-1001"})


# --- expire-unverified ------------------------------------------------------------------------


def _age(request: RightsRequest, days: int) -> None:
    request.received_at = utcnow() - timedelta(days=days)
    db.session.commit()


@pytest.mark.calendar
def test_expire_unverified_closes_old_unverified_requests_and_tells_the_address(tenant):
    old = _submit(tenant, email="old@example.com")
    young = _submit(tenant, email="young@example.com")
    done = _submit(tenant, email="done@example.com")
    verification.verify_with_code(done, last_mail("verification").code)
    for request, days in ((old, 15), (young, 13), (done, 30)):
        _age(request, days)
    expire = get_job("expire-unverified").func

    dry = JobContext(now=utcnow(), dry_run=True, tenant_id=tenant.id)
    expire(dry)
    assert dry.stats == {"expired": 1} and old.status == "unverified"

    ctx = JobContext(now=utcnow(), tenant_id=tenant.id)
    expire(ctx)
    db.session.expire_all()
    assert ctx.stats == {"expired": 1}
    assert (old.status, old.outcome, young.status, done.status) == ("expired", "expired", "unverified", "verified")
    assert [(m.to, m.subject) for m in mails("expired")] == [
        ("old@example.com", f"Your request {old.reference} was closed")]
    again = JobContext(now=utcnow(), tenant_id=tenant.id)
    expire(again)  # idempotent
    assert again.stats.get("expired", 0) == 0 and len(mails("expired")) == 1


@pytest.mark.calendar
def test_expire_unverified_respects_the_tenant_scope_and_setting(tenant):
    other = make_tenant("other")
    other.settings = {"unverified_expiry_days": 30}
    db.session.commit()
    mine, theirs = _submit(tenant), _submit(other)
    _age(mine, 20)
    _age(theirs, 20)
    expire = get_job("expire-unverified").func
    expire(JobContext(now=utcnow(), tenant_id=other.id))
    db.session.expire_all()
    assert (mine.status, theirs.status) == ("unverified", "unverified")  # other: 30 days not reached
    expire(JobContext(now=utcnow(), tenant_id=tenant.id))
    db.session.expire_all()
    assert (mine.status, theirs.status) == ("expired", "unverified")
