"""The `dsar` command: good runs, and every bad argument gets one line and a non-zero exit."""
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select, text

from dsar import crypto
from dsar.datamap.check import check_datamap
from dsar.demo import DEMO_REQUESTS
from dsar.demo.sample_app import sample_datamap_yaml
from dsar.domain.tenant_settings import check_country_region
from dsar.extensions import db
from dsar.models import ApiToken, AuditEvent, Membership, RightsRequest, Tenant, User
from tests.factories import PASSWORD, make_tenant

CREATE = ["tenants", "create"]


def test_tenants_create_stores_the_tenant(cli):
    result = cli.invoke(args=[*CREATE, "acme", "--name", "Acme Ltd", "--regime", "gdpr", "--country", "de",
                              "--policy-days", "30", "--grace-days", "10"])
    assert result.exit_code == 0, result.output
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == "acme")).scalar_one()
    assert (tenant.name, tenant.regime, tenant.country, tenant.policy_days, tenant.grace_days) == \
        ("Acme Ltd", "gdpr", "DE", 30, 10)


def test_grace_longer_than_deadline_is_warned(cli):
    result = cli.invoke(args=[*CREATE, "lg", "--name", "L", "--regime", "lgpd", "--country", "BR"])
    assert result.exit_code == 0, result.output
    assert "grace period of 30 days can end after" in result.output


@pytest.mark.parametrize("args, message", [
    (["Bad Slug", "--name", "X", "--regime", "gdpr", "--country", "GB"], "slug 'Bad Slug' must be lowercase"),
    (["ok", "--name", "X", "--regime", "hipaa", "--country", "GB"], "regime 'hipaa' is unknown"),
    (["ok", "--name", "X", "--regime", "gdpr", "--country", "XX"], "country 'XX' is not a known"),
    (["ok", "--name", "X", "--regime", "policy", "--country", "GB"], "needs --policy-days"),
    (["ok", "--name", "X", "--regime", "gdpr", "--country", "GB", "--policy-days", "0"], "--policy-days"),
    (["ok", "--name", "X", "--regime", "gdpr", "--country", "GB", "--grace-days", "abc"], "--grace-days"),
    (["ok", "--name", "   ", "--regime", "gdpr", "--country", "GB"], "name must be 1 to 200"),
    (["ok", "--regime", "gdpr", "--country", "GB"], "--name"),
])
def test_tenants_create_bad_arguments(cli, args, message):
    result = cli.invoke(args=[*CREATE, *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.execute(select(Tenant)).first() is None


def test_duplicate_tenant_is_refused(cli):
    make_tenant("acme")
    result = cli.invoke(args=[*CREATE, "acme", "--name", "Again", "--regime", "gdpr", "--country", "GB-ENG"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_users_create_hashes_the_password(cli):
    make_tenant("acme")
    result = cli.invoke(args=["users", "create", "--tenant", "acme", "--email", "Dana@Example.com",
                              "--role", "dpo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "dana@example.com"
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2")
    assert db.session.execute(select(Membership.role)).scalar_one() == "dpo"


@pytest.mark.parametrize("args, message", [
    (["--tenant", "nope", "--email", "a@example.com", "--role", "dpo"], "no tenant 'nope'"),
    (["--tenant", "acme", "--email", "not-an-address", "--role", "dpo"], "email:"),
    (["--tenant", "acme", "--email", "a@example.com", "--role", "boss"], "role 'boss' is unknown"),
])
def test_users_create_bad_arguments(cli, args, message):
    make_tenant("acme")
    result = cli.invoke(args=["users", "create", *args, "--password", PASSWORD])
    assert result.exit_code != 0 and message in result.output
    assert db.session.execute(select(User)).first() is None


def test_users_create_refuses_a_short_password(cli):
    make_tenant("acme")
    result = cli.invoke(args=["users", "create", "--tenant", "acme", "--email", "a@example.com",
                              "--role", "agent", "--password", "short"])
    assert result.exit_code == 1 and "at least 12 characters" in result.output


def test_tokens_are_printed_once_and_stored_hashed(cli):
    make_tenant("acme")
    result = cli.invoke(args=["tokens", "create", "--tenant", "acme", "--name", "crm"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[0]
    token = db.session.execute(select(ApiToken)).scalar_one()
    assert secret.startswith("dsar_") and len(secret) > 40
    assert token.token_hash == crypto.token_hash(secret) and secret not in token.token_hash
    listed = cli.invoke(args=["tokens", "list", "--tenant", "acme"])
    assert "crm" in listed.output and secret not in listed.output
    revoked = cli.invoke(args=["tokens", "revoke", "--tenant", "acme", str(token.id)])
    assert revoked.exit_code == 0
    db.session.refresh(token)
    assert token.revoked_at is not None


@pytest.mark.parametrize("args, message", [
    (["tokens", "create", "--tenant", "nope", "--name", "x"], "no tenant 'nope'"),
    (["tokens", "create", "--tenant", "acme", "--name", " "], "token name must be"),
    (["tokens", "revoke", "--tenant", "acme", "999"], "no token 999"),
    (["tokens", "revoke", "--tenant", "acme", "one"], "'one' is not a valid integer"),
])
def test_tokens_bad_arguments(cli, args, message):
    make_tenant("acme")
    result = cli.invoke(args=args)
    assert result.exit_code != 0 and message in result.output


def test_audit_verify_passes_then_detects_tampering(cli):
    make_tenant("acme")
    assert cli.invoke(args=["audit", "verify"]).exit_code == 0
    event = db.session.execute(select(AuditEvent)).scalars().first()
    event.reason = "rewritten history"
    db.session.commit()
    result = cli.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"event {event.id}" in result.output


def test_demo_is_idempotent(cli, app, instance):
    first = cli.invoke(args=["demo"])
    second = cli.invoke(args=["demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "dpo@demo.example" in first.output
    assert db.session.execute(select(Tenant.slug)).scalars().all() == ["demo"]
    assert len(db.session.execute(select(User)).scalars().all()) == 1
    # The tour reads a subject's code in the local outbox, which only an admin may see.
    assert db.session.execute(select(Membership.role)).scalars().all() == ["admin"]
    assert len(db.session.execute(select(RightsRequest)).scalars().all()) == len(DEMO_REQUESTS)
    # Its settings can be saved as they are: the UK's nations keep different bank holidays.
    check_country_region(db.session.execute(select(Tenant.country)).scalar_one())
    # The customer database and its data map: valid, reachable, with work for every rule.
    report = check_datamap(str(instance / "datamaps" / "demo.yml"))
    assert report.ok, report.render()
    engine = create_engine(f"sqlite:///{instance / 'demo_app.db'}")
    with engine.connect() as conn:
        old_logs = conn.execute(text("SELECT count(*) FROM server_logs WHERE logged_at < :t"),
                                {"t": (datetime.now(timezone.utc) - timedelta(days=90)).replace(tzinfo=None)}).scalar()
        fresh_logs = conn.execute(text("SELECT count(*) FROM server_logs")).scalar() - old_logs
        ipv6 = conn.execute(text("SELECT count(*) FROM widget_visits WHERE ip LIKE '%:%' AND ip NOT LIKE '::ffff:%'")).scalar()
        mapped = conn.execute(text("SELECT count(*) FROM widget_visits WHERE ip LIKE '::ffff:%'")).scalar()
    engine.dispose()
    assert old_logs > 0 and fresh_logs > 0 and ipv6 > 0 and mapped > 0


def test_console_script_prints_one_line_errors(app_environ):
    """The installed `dsar` command: one line on stderr, exit code 1 or 2, no traceback."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}, **app_environ}
    dsar = os.path.join(os.path.dirname(sys.executable), "dsar")
    for args in (["tenants", "create", "x", "--name", "X", "--regime", "nope", "--country", "GB"],
                 ["tenants", "create"], ["no-such-command"]):
        result = subprocess.run([dsar, *args], capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode in (1, 2), result
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("dsar: error:"), result.stderr
        assert "Traceback" not in result.stderr


def test_tenants_create_validates_the_data_map(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme.yml").write_text(sample_datamap_yaml(f"sqlite:///{tmp_path}/app.db", tenant="acme"))
    result = cli.invoke(args=[*CREATE, "acme", "--name", "Acme", "--regime", "gdpr", "--country", "GB-ENG",
                              "--datamap", "acme.yml"])
    assert result.exit_code == 0, result.output
    tenant = db.session.execute(select(Tenant)).scalar_one()
    assert tenant.datamap_path == str(tmp_path / "acme.yml")  # stored absolute: found from anywhere


@pytest.mark.parametrize("text, message", [
    ("tenant: acme\nsources: []\ntypo: 1\n", "acme.yml:3"),
    ("other", "this data map is for tenant 'other', not 'acme'"),
    (None, "cannot read the file"),
])
def test_tenants_create_refuses_a_bad_data_map(cli, tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    if text == "other":  # valid, but another tenant's
        text = sample_datamap_yaml(f"sqlite:///{tmp_path}/app.db", tenant="other")
    if text is not None:
        (tmp_path / "acme.yml").write_text(text)
    result = cli.invoke(args=[*CREATE, "acme", "--name", "Acme", "--regime", "gdpr", "--country", "GB-ENG",
                              "--datamap", "acme.yml"])
    assert result.exit_code == 1 and message in result.output, result.output
    assert db.session.execute(select(Tenant)).first() is None


@pytest.fixture
def mapped_tenant(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme.yml").write_text(sample_datamap_yaml(f"sqlite:///{tmp_path}/app.db", tenant="acme"))
    result = cli.invoke(args=[*CREATE, "acme", "--name", "Acme", "--regime", "gdpr", "--country", "GB-ENG",
                              "--datamap", "acme.yml"])
    assert result.exit_code == 0, result.output
    return db.session.execute(select(Tenant)).scalar_one()


def test_retention_override_shortens_and_is_removed(cli, mapped_tenant):
    result = cli.invoke(args=["tenants", "retention", "acme", "app.conversations", "6 months"])
    assert result.exit_code == 0, result.output
    db.session.refresh(mapped_tenant)
    assert mapped_tenant.setting("retention_overrides") == {"app.conversations": "6 months"}
    assert cli.invoke(args=["tenants", "retention", "acme", "app.conversations", "--remove"]).exit_code == 0
    db.session.refresh(mapped_tenant)
    assert mapped_tenant.setting("retention_overrides") == {}


@pytest.mark.parametrize("args, message", [
    (["app.conversations", "2 years"], "longer"),
    (["app.conversations", "soon"], "soon"),
    (["app.nothing", "6 months"], "app.nothing"),
    (["app.conversations"], "give a PERIOD"),
])
def test_retention_override_bad_arguments(cli, mapped_tenant, args, message):
    result = cli.invoke(args=["tenants", "retention", "acme", *args])
    assert result.exit_code != 0 and message in result.output, result.output
    db.session.refresh(mapped_tenant)
    assert mapped_tenant.setting("retention_overrides") == {}


def test_legal_hold_placed_and_lifted(cli, mapped_tenant):
    hold = ["tenants", "hold", "acme", "app.accounts", "--column", "id", "--value", "1"]
    assert cli.invoke(args=[*hold]).exit_code == 1  # a hold needs a reason
    result = cli.invoke(args=[*hold, "--reason", "Case 2026-114"])
    assert result.exit_code == 0, result.output
    assert result.output == "Retention hold on app.accounts where id = 1 placed.\n"
    db.session.refresh(mapped_tenant)
    assert mapped_tenant.setting("legal_holds") == [
        {"table": "app.accounts", "column": "id", "value": "1", "reason": "Case 2026-114"}]
    assert cli.invoke(args=[*hold, "--remove"]).exit_code == 0
    db.session.refresh(mapped_tenant)
    assert mapped_tenant.setting("legal_holds") == []
    missing = cli.invoke(args=["tenants", "hold", "acme", "app.nothing", "--column", "id", "--value", "1",
                               "--reason", "x"])
    assert missing.exit_code == 1 and "not a table" in missing.output
