"""No enumeration (SPEC §4): a known and an unknown address get the same page, the same API
answer and the same message — whatever the tenant's records and earlier requests hold."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from dsar.datamap.sources import dispose_engines
from dsar.extensions import db
from tests.factories import make_tenant
from tests.portal.helpers import mails, portal_submit, reference_in

KNOWN, UNKNOWN = "known@example.com", "unknown@example.com"


@pytest.fixture
def tenant(app, tmp_path):
    """A tenant whose own database holds KNOWN (and not UNKNOWN), who also asked before."""
    path = tmp_path / "customers.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT)"))
        conn.execute(sa.text(f"INSERT INTO accounts VALUES (1, '{KNOWN}')"))
    engine.dispose()
    datamap = tmp_path / "acme.yml"
    datamap.write_text(f"tenant: acme\nsources:\n  - name: app\n    url: sqlite:///{path}\n    tables:\n"
                       "      - name: accounts\n        primary_key: id\n        identity: {email: email}\n")
    tenant = make_tenant("acme", name="Acme Chat", datamap_path=str(datamap))
    yield tenant
    dispose_engines()


def _scrub(text: str) -> str:
    """Remove what differs by nature between two requests: reference, code, secrets."""
    text = re.sub(r"DSR-[0-9A-Z]{4}-[0-9A-Z]{4}", "REF", text)
    text = re.sub(r"(?m)^(\s+)\d{6}$", r"\1CODE", text)
    text = re.sub(r"(?<=>)\d{6}(?=</p>)|(?<=value=\")\d{6}(?=\")", "CODE", text)
    text = re.sub(r"/verify/[A-Za-z0-9_-]+", "/verify/TOKEN", text)
    text = re.sub(r"\b\d{2}:\d{2}\b", "HH:MM", text)  # the expiry time, a minute apart at most
    return re.sub(r"t=[0-9a-f]{32}", "t=SECRET", text)


def test_the_portal_answers_the_same(client, tenant):
    portal_submit(client, email=KNOWN)  # an earlier request from the known address
    known = portal_submit(client, email=KNOWN)
    unknown = portal_submit(client, email=UNKNOWN)
    assert known.status_code == unknown.status_code == 200
    assert _scrub(known.data.decode()) == _scrub(unknown.data.decode())
    assert reference_in(known.data) != reference_in(unknown.data)
    _same_messages()


def test_the_api_answers_the_same(client, tenant):
    body = {"type": "access", "name": "Sam"}
    client.post("/api/v1/tenants/acme/requests", json={**body, "email": KNOWN})
    known = client.post("/api/v1/tenants/acme/requests", json={**body, "email": KNOWN})
    unknown = client.post("/api/v1/tenants/acme/requests", json={**body, "email": UNKNOWN})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json().keys() == unknown.get_json().keys() == {"reference", "status"}
    assert _scrub(known.data.decode()) == _scrub(unknown.data.decode())
    assert dict(known.headers).keys() == dict(unknown.headers).keys()
    _same_messages()


def _same_messages():
    *_, known, unknown = mails()
    assert (known.to, unknown.to) == (KNOWN, UNKNOWN)
    assert known.row.template == unknown.row.template == "verification"
    assert known.row.status == unknown.row.status
    assert _scrub(known.subject) == _scrub(unknown.subject)
    assert _scrub(known.text) == _scrub(unknown.text)
    assert _scrub(known.html) == _scrub(unknown.html)


def test_even_strong_verification_is_asked_the_same_way(client, tenant):
    """The extra questions come only after the code, and for every address alike."""
    tenant.settings = {"strong_verification": {"access": {"data_points": 1}}}
    db.session.commit()
    answers = []
    for email in (KNOWN, UNKNOWN):
        reference = reference_in(portal_submit(client, email=email).data)
        code = mails()[-1].code
        response = client.post("/t/acme/confirm", data={"reference": reference, "code": code})
        answers.append((response.status_code, _scrub(response.data.decode())))
    assert answers[0] == answers[1]
