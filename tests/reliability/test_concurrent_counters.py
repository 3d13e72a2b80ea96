"""Counters that hold under concurrency (issue 13 finding 5): 50 simultaneous wrong codes or
wrong passwords, each its own HTTP client, are all counted — the limit is reached exactly,
and the right code or password is refused afterwards."""
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from dsar.auth.lockout import MAX_FAILURES
from dsar.extensions import db
from dsar.mail.outbox import envelope_of
from dsar.models import OutboxMessage, User, VerificationChallenge
from tests.factories import PASSWORD, make_tenant, make_user

CONCURRENT = 50


def _post(url: str, body: bytes, content_type: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    opener = urllib.request.build_opener(_NoRedirect)  # a fresh client: no cookie shared
    try:
        with opener.open(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _verify(base_url: str, reference: str, code: str) -> int:
    return _post(f"{base_url}/api/v1/requests/{reference}/verify", json.dumps({"code": code}).encode(),
                 "application/json")


def test_fifty_concurrent_wrong_codes_use_up_the_attempts_and_the_right_code_is_refused(app, live_server):
    tenant = make_tenant("acme")
    maximum = tenant.setting("verification_max_attempts")
    submitted = _post(f"{live_server}/api/v1/tenants/acme/requests",
                      json.dumps({"type": "access", "email": "sam@example.com"}).encode(), "application/json")
    assert submitted == 202
    db.session.remove()
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.template == "verification")).scalar_one()
    code = re.search(r"^\s+(\d{6})\s*$", envelope_of(db.session, message).text, re.M).group(1)
    reference = db.session.execute(select(VerificationChallenge)).scalar_one().request.reference
    wrong = "000000" if code != "000000" else "111111"

    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(lambda _: _verify(live_server, reference, wrong), range(CONCURRENT)))
    assert all(400 <= status < 500 for status in answers), answers
    db.session.remove()
    assert db.session.execute(select(VerificationChallenge.attempts)).scalar_one() == maximum
    assert _verify(live_server, reference, code) in (400, 404, 409, 410, 422)
    db.session.remove()
    request = db.session.execute(select(VerificationChallenge)).scalar_one().request
    assert request.status == "unverified"


def _login(base_url: str, email: str, password: str) -> int:
    return _post(f"{base_url}/login", urllib.parse.urlencode({"email": email, "password": password}).encode(),
                 "application/x-www-form-urlencoded")


def test_fifty_concurrent_wrong_passwords_lock_the_account_at_the_limit(app, live_server):
    user = make_user(make_tenant(), "auditor", email="target@example.com")
    email = user.email
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(lambda n: _login(live_server, email, f"wrong password {n}"),
                                range(CONCURRENT)))
    assert set(answers) == {400}
    db.session.remove()
    locked = db.session.get(User, user.id)
    assert locked.locked_until is not None
    assert _login(live_server, user.email, PASSWORD) == 400  # the right password waits out the lock


def test_the_lock_comes_exactly_at_the_limit(app, live_server):
    user = make_user(make_tenant(), "auditor", email="counted@example.com")
    email = user.email
    with ThreadPoolExecutor(max_workers=MAX_FAILURES - 1) as pool:
        list(pool.map(lambda n: _login(live_server, email, f"wrong password {n}"), range(MAX_FAILURES - 1)))
    db.session.remove()
    almost = db.session.get(User, user.id)
    assert (almost.failed_logins, almost.locked_until) == (MAX_FAILURES - 1, None)
    assert _login(live_server, user.email, "one more wrong one") == 400
    db.session.remove()
    assert db.session.get(User, user.id).locked_until is not None
