"""Operations pages: outbox, job runs, tenant settings, the data map check, users, API tokens."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import AuditEvent, JobRun, Membership, OutboxMessage, Tenant, User
from dsar.services.api_tokens import tenant_for_token
from tests.dashboard.factories import make_request, signed_in_staff, staff_tenant
from tests.factories import make_tenant, make_user



@pytest.fixture
def tenant(app):
    return staff_tenant("ops")


@pytest.fixture
def admin(tenant, client):
    return signed_in_staff(client, tenant, "admin")


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


# --- outbox ---------------------------------------------------------------------------------


@pytest.mark.calendar
def test_the_outbox_shows_decrypted_recipients_status_and_errors(client, tenant, admin):
    request = make_request(tenant)
    ring = keyring()
    db.session.add_all([
        OutboxMessage(tenant_id=tenant.id, request_id=request.id, template="verification",
                      to_enc=ring.encrypt_text("reader@example.org"), subject="Confirm your request",
                      body_text_enc=ring.encrypt_text("Your code is 123456"), status="kept"),
        OutboxMessage(tenant_id=tenant.id, template="reminder", to_enc=ring.encrypt_text("dpo@example.org"),
                      subject="Reminder", status="failed", attempts=3, last_error="SMTP 550 mailbox unavailable")])
    db.session.commit()
    page = client.get("/dashboard/outbox").get_data(as_text=True)
    assert "reader@example.org" in page and "SMTP 550 mailbox unavailable" in page and request.reference in page
    failed = client.get("/dashboard/outbox", query_string={"status": "failed"}).get_data(as_text=True)
    assert "dpo@example.org" in failed and "reader@example.org" not in failed
    message_id = int(re.search(r'/dashboard/outbox/(\d+)">Confirm your request', page).group(1))
    assert "Your code is 123456" in client.get(f"/dashboard/outbox/{message_id}").get_data(as_text=True)


@pytest.mark.calendar
def test_links_in_an_outbox_message_are_clickable_and_escaped(client, tenant, admin):
    ring = keyring()
    message = OutboxMessage(tenant_id=tenant.id, template="reminder", to_enc=ring.encrypt_text("dpo@example.org"),
                            subject="Reminder", status="kept", body_text_enc=ring.encrypt_text(
                                "See http://127.0.0.1:5000/dashboard/requests/DSR-1234-ABCD. <b>Thanks</b>"))
    db.session.add(message)
    db.session.commit()
    page = client.get(f"/dashboard/outbox/{message.id}").get_data(as_text=True)
    url = "http://127.0.0.1:5000/dashboard/requests/DSR-1234-ABCD"
    assert f'<a href="{url}">{url}</a>.' in page  # the sentence's full stop stays outside
    assert "&lt;b&gt;Thanks&lt;/b&gt;" in page and "<b>Thanks</b>" not in page


# --- jobs -----------------------------------------------------------------------------------


@pytest.mark.calendar
def test_jobs_run_now_and_dry_run_for_this_tenant_only(client, tenant, admin):
    other = make_tenant("elsewhere")
    db.session.add_all([
        JobRun(job="retention", tenant_id=other.id, trigger="cli", status="succeeded",
               stats={"secret-rule-of-elsewhere": 5}),
        JobRun(job="anonymize-ips", tenant_id=None, trigger="scheduler", status="failed",
               stats={"everyone.app.widget_visits": 7}, error="source elsewhere-db unavailable")])
    db.session.commit()
    page = client.get("/dashboard/jobs").get_data(as_text=True)
    for name in ("retention", "anonymize-ips", "sla-reminders", "expire-unverified", "execute-erasures",
                 "expire-exports", "own-retention"):
        assert f"<code>{name}</code>" in page, name
    scheduled = page.split('<th scope="col">Started</th>', 1)[1]  # the runs' table
    assert "secret-rule-of-elsewhere" not in page and "retention" not in scheduled
    assert "anonymize-ips" in scheduled and "every organisation" in scheduled and "failed" in scheduled
    assert "widget_visits" not in scheduled and "elsewhere-db" not in scheduled

    assert client.post("/dashboard/jobs/expire-unverified/run", data={"dry_run": "1"}).status_code == 303
    assert client.post("/dashboard/jobs/expire-exports/run", data={"dry_run": "0"}).status_code == 303
    runs = db.session.execute(sa.select(JobRun).where(JobRun.tenant_id == tenant.id).order_by(JobRun.id)).scalars().all()
    assert [(r.job, r.dry_run, r.trigger, r.status) for r in runs] == [
        ("expire-unverified", True, "dashboard", "succeeded"), ("expire-exports", False, "dashboard", "succeeded")]
    page = client.get("/dashboard/jobs").get_data(as_text=True)
    assert "expire-unverified (dry run): succeeded." in page and "dashboard, dry run" in page
    assert client.post("/dashboard/jobs/no-such-job/run").status_code == 404


@pytest.mark.calendar
def test_the_jobs_page_hides_routine_runs_filters_by_job_and_shows_the_next_run(client, tenant, admin):
    db.session.add_all([JobRun(job="send-mail", tenant_id=None, trigger="scheduler", status="succeeded"),
                        JobRun(job="retention", tenant_id=tenant.id, trigger="cli", status="succeeded",
                               stats={"app.logs": 3}),
                        JobRun(job="expire-exports", tenant_id=tenant.id, trigger="cli", status="succeeded")])
    db.session.commit()

    def runs(**query):
        page = client.get("/dashboard/jobs", query_string=query).get_data(as_text=True)
        return re.findall(r"<tr><td><code>([a-z-]+)</code></td><td>\d",
                          page.split('<th scope="col">Started</th>', 1)[1])

    assert sorted(runs()) == ["expire-exports", "retention"]
    assert sorted(runs(routine="1")) == ["expire-exports", "retention", "send-mail"]
    assert runs(job="retention") == ["retention"] and runs(job="send-mail") == ["send-mail"]
    page = client.get("/dashboard/jobs").get_data(as_text=True)
    assert "Next run (UTC)" in page and "tick the box to see them" in page
    assert re.search(r"<code>send-mail</code></td><td>[^<]*</td>\s*<td>\d\d \w{3} \d{4} \d\d:\d\d</td>", page)
    bad = client.get("/dashboard/jobs", query_string={"job": "no-such-job"})
    assert bad.status_code == 400 and "Job: there is no job &#39;no-such-job&#39;" in bad.get_data(as_text=True)
    bad = client.get("/dashboard/jobs", query_string={"routine": "yes"})
    assert bad.status_code == 400 and "Routine runs: tick the box" in bad.get_data(as_text=True)


# --- settings -------------------------------------------------------------------------------


SETTINGS = {"name": "Ops Ltd", "regime": "gdpr", "country": "GB-ENG", "policy_days": "20", "grace_days": "14",
            "dpo_email": "dpo@ops.example", "verification_hours": "48", "unverified_expiry_days": "10",
            "gdpr_pauses": "y", "export_days": "5", "supervisory_authority": "ICO",
            "points_access": "2", "declaration_access": "y"}


@pytest.mark.calendar
def test_settings_are_saved_and_audited(client, tenant, admin):
    page = client.get("/dashboard/settings").get_data(as_text=True)
    assert 'name="points_erasure"' in page and 'name="points_opt_out"' not in page
    response = client.post("/dashboard/settings", data=SETTINGS)
    assert response.status_code == 303
    saved = fresh(Tenant, tenant.id)
    assert (saved.name, saved.policy_days, saved.grace_days, saved.dpo_email) == ("Ops Ltd", 20, 14, "dpo@ops.example")
    assert saved.setting("verification_hours") == 48 and saved.setting("export_days") == 5
    assert saved.setting("strong_verification") == {"access": {"data_points": 2, "declaration": True}}
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.kind == "settings_changed")).scalar_one()
    assert "policy_days" in event.payload["changed"] and "points_access" in event.payload["changed"]
    assert client.post("/dashboard/settings", data=SETTINGS).status_code == 303
    assert "Nothing changed." in client.get("/dashboard/settings").get_data(as_text=True)


@pytest.mark.calendar
@pytest.mark.parametrize("change, field, words", [
    ({"country": "ZZ"}, "country", "not a known ISO 3166 code"),
    ({"regime": "policy", "policy_days": ""}, "policy_days", "needs --policy-days"),
    ({"grace_days": "400"}, "grace_days", "between 0 and 90"),
])
def test_settings_errors_name_the_field(client, tenant, admin, change, field, words):
    response = client.post("/dashboard/settings", data={**SETTINGS, **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page
    assert fresh(Tenant, tenant.id).name != "Ops Ltd"


@pytest.mark.calendar
def test_settings_errors_are_shown_all_at_once(client, tenant, admin):
    response = client.post("/dashboard/settings", data={
        **SETTINGS, "country": "ZZ", "regime": "policy", "policy_days": "", "grace_days": "400", "name": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for field in ("country", "policy_days", "grace_days", "name"):
        assert f'id="{field}-error"' in page, field
    assert "4 things to fix before the settings can be saved" in page and 'href="#country"' in page


@pytest.mark.calendar
@pytest.mark.parametrize("country", ["GB", "gb", " UK "])
def test_a_whole_united_kingdom_is_asked_which_nation(client, tenant, admin, country):
    response = client.post("/dashboard/settings", data={**SETTINGS, "country": country})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="country-error"' in page and "different bank holidays" in page
    assert "GB-ENG, GB-SCT, GB-WLS or GB-NIR" in page
    assert fresh(Tenant, tenant.id).name != "Ops Ltd"


def test_a_nation_of_the_united_kingdom_is_saved(client, tenant, admin):
    assert client.post("/dashboard/settings", data={**SETTINGS, "country": "gb-sct"}).status_code == 303
    assert fresh(Tenant, tenant.id).country == "GB-SCT"


@pytest.mark.calendar
def test_settings_show_configuration_warnings(client, admin, tenant):
    client.post("/dashboard/settings", data={**SETTINGS, "regime": "lgpd", "country": "BR", "grace_days": "30"})
    page = client.get("/dashboard/settings").get_data(as_text=True)
    assert "Warning:" in page and "grace period of 30 days can end after" in page


# --- data map -------------------------------------------------------------------------------


def test_the_data_map_page_shows_the_check(client, acme, sample):
    signed_in_staff(client, acme, "auditor")
    page = client.get("/dashboard/datamap").get_data(as_text=True)
    assert "The map is valid." in page and "acme.yml" in page and "accounts" in page
    online = client.get("/dashboard/datamap", query_string={"online": "1"}).get_data(as_text=True)
    assert "Checked against the live databases" in online and 'id="datamap-report"' in online


def test_the_data_map_page_without_a_map(client, tenant, admin):
    assert "No data map is set" in client.get("/dashboard/datamap").get_data(as_text=True)


def test_a_broken_data_map_is_reported_not_a_500(client, tenant, admin, app, tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("tenant: ops\nsources:\n  - name: app\n    tables: nope\n")
    tenant.datamap_path = str(broken)
    db.session.commit()
    response = client.get("/dashboard/datamap")
    assert response.status_code == 200 and "The map has errors." in response.get_data(as_text=True)


# --- users ----------------------------------------------------------------------------------


def test_adding_a_user_sends_an_invitation(app, client, tenant, admin):
    response = client.post("/dashboard/users", data={"email": "New.Agent@Ops.example", "name": "Nia Agent",
                                                     "role": "agent"})
    assert response.status_code == 303
    assert not db.session.execute(sa.select(User).where(User.email == "new.agent@ops.example")).first()
    page = client.get("/dashboard/users").get_data(as_text=True)
    assert "new.agent@ops.example" in page and "Invited, not yet accepted" in page


@pytest.mark.parametrize("data, field, words", [
    ({"role": "superuser"}, "role", "Not a valid choice"),
    ({"email": "not-an-address"}, "email", "Invalid email"),
])
def test_adding_a_user_names_the_wrong_field(client, tenant, admin, data, field, words):
    form = {"email": "x@ops.example", "name": "X", "role": "agent", **data}
    response = client.post("/dashboard/users", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and words in page


def test_inviting_a_member_again_names_the_field(client, tenant, admin):
    response = client.post("/dashboard/users", data={"email": admin.email, "name": "X", "role": "agent"})
    assert response.status_code == 400 and "already a member" in response.get_data(as_text=True)


def test_remove_from_this_tenant(client, tenant, admin):
    colleague = make_user(tenant, "dpo")
    assert client.post(f"/dashboard/users/{admin.id}/remove").status_code == 303
    assert "you cannot remove yourself" in client.get("/dashboard/users").get_data(as_text=True)
    client.post(f"/dashboard/users/{colleague.id}/remove")
    assert not db.session.execute(sa.select(Membership).where(Membership.user_id == colleague.id)).first()
    kinds = db.session.execute(sa.select(AuditEvent.kind).where(AuditEvent.tenant_id == tenant.id)).scalars().all()
    assert "staff_removed" in kinds


# --- tokens ---------------------------------------------------------------------------------


@pytest.mark.calendar
def test_a_token_is_shown_once_and_can_be_revoked(client, tenant, admin):
    response = client.post("/dashboard/tokens", data={"name": "crm-sync"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    secret = re.search(r'id="new-token">(dsar_[^<]+)<', page).group(1)
    found = tenant_for_token(secret)
    assert found is not None and found[0].id == tenant.id
    listing = client.get("/dashboard/tokens").get_data(as_text=True)
    assert "crm-sync" in listing and secret not in listing and secret[:12] in listing
    token_id = found[1].id
    db.session.commit()
    assert client.post(f"/dashboard/tokens/{token_id}/revoke").status_code == 303
    db.session.expire_all()
    assert tenant_for_token(secret) is None
    assert client.post("/dashboard/tokens", data={"name": ""}).status_code == 400


def test_an_invitation_can_be_withdrawn(app, client, tenant, admin):
    from dsar.models import Invitation, OutboxMessage
    from dsar.mail.outbox import envelope_of

    client.post("/dashboard/users", data={"email": "late@ops.example", "name": "Late", "role": "auditor"})
    invitation = db.session.execute(sa.select(Invitation)).scalar_one()
    message = db.session.execute(sa.select(OutboxMessage).where(OutboxMessage.template == "invitation")).scalar_one()
    link = re.search(r"http://localhost(/invitations/\S+)", envelope_of(db.session, message).text).group(1)
    assert client.post(f"/dashboard/invitations/{invitation.id}/withdraw").status_code == 303
    assert "Invited, not yet accepted" not in client.get("/dashboard/users").get_data(as_text=True)
    assert app.test_client().get(link).status_code == 404
    assert client.post(f"/dashboard/invitations/{invitation.id}/withdraw").status_code == 404
