"""own-retention: the platform's own records keep the same promises as the customers' data."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.jobs.runner import run_job
from dsar.keyring import keyring
from dsar.models import Export, OutboxMessage, RightsRequest, Task, VerificationChallenge, utcnow
from dsar.services import lifecycle
from tests.factories import make_tenant

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

DAY = timedelta(days=1)


def request(tenant, *, received_days_ago=1, ip="203.0.113.9", closed_days_ago=None, hold=False, regime=None):
    r = lifecycle.create_request(tenant, type="access", regime=regime, requester_ip=ip,
                                 subject=lifecycle.Subject(email="ada@example.com", name="Ada", phone="+44 1"),
                                 agent={"name": "Agent Smith"}, received_at=utcnow() - received_days_ago * DAY)
    if closed_days_ago is not None:
        lifecycle.withdraw(r, "subject")
        r.completed_at = utcnow() - closed_days_ago * DAY
    if hold:
        lifecycle.set_legal_hold(r, "test", on=True, reason="litigation")
    db.session.commit()
    return r


def identifiers(r: RightsRequest) -> tuple:
    db.session.refresh(r)
    return (r.subject_email_enc, r.subject_email_hash, r.subject_name_enc, r.subject_data_enc, r.agent_enc)


def test_requester_ips_are_removed_after_30_days_unless_held(app):
    tenant = make_tenant()
    old, recent, held = request(tenant, received_days_ago=31), request(tenant), request(tenant, received_days_ago=31, hold=True)

    run = run_job("own-retention", tenant_id=tenant.id)

    assert run.status == "succeeded"
    for r in (old, recent, held):
        db.session.refresh(r)
    assert (old.requester_ip, recent.requester_ip, held.requester_ip) == (None, "203.0.113.9", "203.0.113.9")
    assert run.stats["requests: requester IP removed after 30 days"] == 1


def test_closed_requests_lose_their_identifiers_after_the_record_keeping_period(app):
    tenant = make_tenant()
    old = request(tenant, received_days_ago=800, closed_days_ago=750)
    recent = request(tenant, received_days_ago=800, closed_days_ago=700)
    still_open = request(tenant, received_days_ago=800)
    db.session.add(Task(tenant_id=tenant.id, request_id=old.id, kind="rectify", title="Fix name",
                        details_enc=keyring().encrypt_text("Ada Byron")))
    db.session.add(OutboxMessage(tenant_id=tenant.id, request_id=old.id, template="t", subject="Your request",
                                 to_enc=keyring().encrypt_text("ada@example.com"), body_text_enc="x",
                                 status="sent", sent_at=utcnow() - 2 * DAY))
    db.session.commit()

    run = run_job("own-retention", tenant_id=tenant.id)

    assert identifiers(old) == (None,) * 5
    assert old.identifiers_erased_at is not None and old.requester_ip is None
    assert (old.type, old.status, old.outcome, old.channel) == ("access", "withdrawn", "withdrawn", "portal")
    assert old.received_at is not None and old.completed_at is not None
    assert all(identifiers(recent)) and all(identifiers(still_open))
    assert db.session.execute(select(Task.details_enc)).scalar_one() is None
    mail = db.session.execute(select(OutboxMessage)).scalar_one()
    assert keyring().decrypt_text(mail.to_enc) == "[erased]" and mail.body_text_enc is None
    assert run.stats["requests: identifiers erased 24 months after closing"] == 1


@pytest.mark.parametrize("regime, months, erased", [("gdpr", 12, True), ("ccpa", 12, False), ("ccpa", 30, False)])
def test_ccpa_records_are_kept_at_least_24_months(app, regime, months, erased):
    tenant = make_tenant(regime=regime, country="US" if regime == "ccpa" else "GB")
    tenant.settings = {"record_keeping_months": months}
    db.session.commit()
    r = request(tenant, received_days_ago=500, closed_days_ago=13 * 31)

    run_job("own-retention", tenant_id=tenant.id)

    assert (identifiers(r)[0] is None) is erased


def test_a_ccpa_request_of_a_gdpr_tenant_is_kept_24_months_too(app):
    tenant = make_tenant()
    tenant.settings = {"record_keeping_months": 12}
    db.session.commit()
    gdpr, ccpa = request(tenant, received_days_ago=500, closed_days_ago=400), \
        request(tenant, received_days_ago=500, closed_days_ago=400, regime="ccpa")

    run_job("own-retention", tenant_id=tenant.id)

    assert identifiers(gdpr)[0] is None and identifiers(ccpa)[0] is not None


def test_used_and_expired_codes_go_a_week_later(app):
    tenant = make_tenant()
    r = request(tenant)
    now = utcnow()
    codes = {name: VerificationChallenge(request_id=r.id, token_hash=name.ljust(64, "0"), code_hash="c",
                                         expires_at=expires, used_at=used)
             for name, expires, used in [("used-long-ago", now + DAY, now - 8 * DAY),
                                         ("expired-long-ago", now - 8 * DAY, None),
                                         ("used-yesterday", now + DAY, now - DAY),
                                         ("live", now + DAY, None)]}
    db.session.add_all(codes.values())
    db.session.commit()

    run_job("own-retention", tenant_id=tenant.id)

    left = set(db.session.execute(select(VerificationChallenge.token_hash)).scalars())
    assert left == {"used-yesterday".ljust(64, "0"), "live".ljust(64, "0")}


def _export_on_disk(tenant, r, expires) -> Export:
    """An export row with its encrypted file where the export service writes it."""
    from dsar.services.exports import export_path

    export = Export(tenant_id=tenant.id, request_id=r.id, filename="export.zip", expires_at=expires)
    db.session.add(export)
    db.session.commit()
    path = export_path(export)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"encrypted personal data")
    return export


def test_expired_export_files_are_removed(app):
    from dsar.services.exports import export_path

    tenant = make_tenant()
    old, new = _export_on_disk(tenant, request(tenant), utcnow() - DAY), _export_on_disk(tenant, request(tenant),
                                                                                        utcnow() + DAY)
    run_job("own-retention", tenant_id=tenant.id)

    assert not export_path(old).exists() and export_path(new).exists()
    db.session.refresh(old)
    db.session.refresh(new)
    assert old.deleted_at is not None and new.deleted_at is None


def test_an_export_under_legal_hold_is_kept(app):
    from dsar.services.exports import export_path

    tenant = make_tenant()
    held = _export_on_disk(tenant, request(tenant, hold=True), utcnow() - DAY)
    run_job("own-retention", tenant_id=tenant.id)
    db.session.refresh(held)
    assert export_path(held).exists() and held.deleted_at is None


def test_sent_mail_bodies_are_blanked_after_30_days_tenantless_mail_included(app):
    tenant = make_tenant()
    def mail(tenant_id, status, days):
        return OutboxMessage(tenant_id=tenant_id, template="t", subject="s", to_enc="x", body_text_enc="b",
                             body_html_enc="h", status=status, sent_at=utcnow() - days * DAY if status == "sent" else None,
                             created_at=utcnow() - days * DAY)
    messages = [mail(tenant.id, "sent", 31), mail(tenant.id, "sent", 29), mail(tenant.id, "pending", 40), mail(None, "sent", 31)]
    db.session.add_all(messages)
    db.session.commit()

    run_job("own-retention")  # every tenant, and mail of none

    bodies = [db.session.execute(select(OutboxMessage.body_text_enc).where(OutboxMessage.id == m.id)).scalar_one()
              for m in messages]
    assert bodies == [None, "b", "b", None]


def test_a_dry_run_counts_the_same_and_changes_nothing(app):
    tenant = make_tenant()
    old = request(tenant, received_days_ago=800, closed_days_ago=750)
    request(tenant, received_days_ago=40)

    dry = run_job("own-retention", tenant_id=tenant.id, dry_run=True)

    assert all(identifiers(old)) and old.requester_ip == "203.0.113.9"
    real = run_job("own-retention", tenant_id=tenant.id)
    assert dry.stats == real.stats
    assert dry.stats["requests: requester IP removed after 30 days"] == 2
