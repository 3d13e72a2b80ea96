"""Configuration from the environment (SPEC §8): safe local defaults, strict production."""
import stat

import pytest

from dsar.config import load_config
from dsar.errors import ConfigurationError


def test_local_defaults_use_sqlite_under_instance_and_generate_keys(tmp_path):
    config = load_config(str(tmp_path), {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'dsar.db'}"
    assert config["DSAR_MAIL_BACKEND"] == "outbox"
    assert config["DSAR_SCHEDULER"] is True
    for name in ("secret_key", "encryption_key"):
        path = tmp_path / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # A second start reuses the same keys: data encrypted yesterday stays readable.
    again = load_config(str(tmp_path), {})
    assert again["SECRET_KEY"] == config["SECRET_KEY"]
    assert again["DSAR_ENCRYPTION_KEYS"] == config["DSAR_ENCRYPTION_KEYS"]


def test_environment_values_win(tmp_path):
    config = load_config(str(tmp_path), {"DSAR_DATABASE_URL": "postgresql+psycopg://x@h/db",
                                         "DSAR_SECRET_KEY": "s", "DSAR_ENCRYPTION_KEYS": "k",
                                         "DSAR_SMTP_PORT": "2525", "DSAR_SCHEDULER": "off"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://x@h/db"
    assert (config["SECRET_KEY"], config["DSAR_SMTP_PORT"], config["DSAR_SCHEDULER"]) == ("s", 2525, False)
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("missing", ["DSAR_SECRET_KEY", "DSAR_ENCRYPTION_KEYS"])
def test_production_refuses_to_start_without_keys(tmp_path, missing):
    environ = {"DSAR_ENV": "production", "DSAR_SECRET_KEY": "s", "DSAR_ENCRYPTION_KEYS": "k"}
    del environ[missing]
    with pytest.raises(ConfigurationError, match=missing):
        load_config(str(tmp_path), environ)
    assert not any(tmp_path.iterdir()), "production must never generate a key silently"


@pytest.mark.parametrize("environ, message", [
    ({"DSAR_MAIL_BACKEND": "pigeon"}, "DSAR_MAIL_BACKEND must be one of"),
    ({"DSAR_SMTP_PORT": "twenty-five"}, "DSAR_SMTP_PORT must be a whole number"),
    ({"DSAR_SCHEDULER": "maybe"}, "DSAR_SCHEDULER must be on or off"),
    ({"DSAR_MAIL_BACKEND": "sendgrid"}, "needs DSAR_SENDGRID_API_KEY"),
    ({"DSAR_ENV": "staging"}, "DSAR_ENV must be"),
    ({"DSAR_SESSION_IDLE_MINUTES": "soon"}, "DSAR_SESSION_IDLE_MINUTES must be a whole number"),
    ({"DSAR_SESSION_IDLE_MINUTES": "0"}, "DSAR_SESSION_IDLE_MINUTES must be between 1 and"),
    ({"DSAR_SESSION_MAX_HOURS": "1000"}, "DSAR_SESSION_MAX_HOURS must be between 1 and 168"),
    ({"DSAR_MAX_BODY_BYTES": "1MB"}, "DSAR_MAX_BODY_BYTES must be a whole number"),
    ({"DSAR_MAX_BODY_BYTES": "10"}, "DSAR_MAX_BODY_BYTES must be between 1024"),
    ({"DSAR_TRUSTED_PROXIES": "-1"}, "DSAR_TRUSTED_PROXIES must be between 0 and 10"),
    ({"DSAR_TRUSTED_PROXIES": "all"}, "DSAR_TRUSTED_PROXIES must be a whole number"),
    ({"DSAR_PENDING_SIGNIN_MINUTES": "0"}, "DSAR_PENDING_SIGNIN_MINUTES must be between 1 and 60"),
    ({"DSAR_JOB_BATCH_SIZE": "many"}, "DSAR_JOB_BATCH_SIZE must be a whole number"),
    ({"DSAR_JOB_BATCH_SIZE": "0"}, "DSAR_JOB_BATCH_SIZE must be between 1 and"),
    ({"DSAR_STAFF_API_LIMIT": "lots"}, "DSAR_STAFF_API_LIMIT must be a rate such as '600 per minute'"),
    ({"DSAR_STAFF_API_LIMIT": "600 per fortnight"}, "DSAR_STAFF_API_LIMIT must be a rate"),
    ({"DSAR_JOB_SCHEDULES": "{retention"}, "DSAR_JOB_SCHEDULES must be JSON"),
    ({"DSAR_JOB_SCHEDULES": "[1, 2]"}, "DSAR_JOB_SCHEDULES must be a JSON object of job names"),
    ({"DSAR_JOB_SCHEDULES": '{"retention": 5}'}, "the schedule of retention must be null or an object"),
    ({"DSAR_JOB_SCHEDULES": '{"retention": {"trigger": "weekly"}}'}, "the schedule of retention must be null"),
])
def test_bad_values_are_named(tmp_path, environ, message):
    with pytest.raises(ConfigurationError, match=message):
        load_config(str(tmp_path), environ)


def test_session_body_and_proxy_settings_have_safe_defaults(tmp_path):
    config = load_config(str(tmp_path), {"DSAR_SESSION_IDLE_MINUTES": "5", "DSAR_SESSION_MAX_HOURS": "2"})
    assert (config["DSAR_SESSION_IDLE_MINUTES"], config["DSAR_SESSION_MAX_HOURS"]) == (5, 2)
    defaults = load_config(str(tmp_path), {})
    assert (defaults["MAX_CONTENT_LENGTH"], defaults["DSAR_TRUSTED_PROXIES"]) == (1024 * 1024, 0)
    assert (defaults["DSAR_SESSION_IDLE_MINUTES"], defaults["DSAR_SESSION_MAX_HOURS"]) == (30, 8)


@pytest.mark.parametrize("key", ["x", "a" * 64, "0123456789abcdef0123456789abcde"])
def test_production_refuses_a_short_or_repetitive_secret_key(tmp_path, key):
    environ = {"DSAR_ENV": "production", "DSAR_SECRET_KEY": key, "DSAR_ENCRYPTION_KEYS": "k"}
    with pytest.raises(ConfigurationError, match="DSAR_SECRET_KEY must be at least 32 random bytes"):
        load_config(str(tmp_path), environ)


def test_production_accepts_a_generated_secret_key(tmp_path):
    import secrets

    environ = {"DSAR_ENV": "production", "DSAR_SECRET_KEY": secrets.token_urlsafe(32), "DSAR_ENCRYPTION_KEYS": "k"}
    assert load_config(str(tmp_path), environ)["SESSION_COOKIE_SECURE"] is True


def test_a_weak_production_secret_stops_the_cli_in_one_line(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    dsar = Path(sys.executable).with_name("dsar")
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}, "DSAR_ENV": "production",
               "DSAR_SECRET_KEY": "x", "DSAR_ENCRYPTION_KEYS": "k", "DSAR_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = subprocess.run([str(dsar), "tenants", "list"], env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "dsar: error: DSAR_SECRET_KEY must be at least 32 random bytes; make one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"]


def test_a_weak_production_secret_stops_gunicorn_in_one_line(tmp_path):
    """gunicorn imports wsgi.py: the refusal is one line and the arbiter stops (exit 3, no restarts)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    gunicorn = Path(sys.executable).with_name("gunicorn")
    root = Path(__file__).resolve().parents[1]
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("DSAR_")}, "DSAR_ENV": "production",
               "DSAR_SECRET_KEY": "x", "DSAR_ENCRYPTION_KEYS": "k", "DSAR_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    result = subprocess.run([str(gunicorn), "--bind", "127.0.0.1:0", "--workers", "1", "wsgi:app"], cwd=root,
                            env=environ, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("dsar: error:")]
    assert errors and errors[0].startswith("dsar: error: DSAR_SECRET_KEY must be at least 32 random bytes")
    assert "Traceback" not in result.stderr


def test_job_settings_and_the_staff_api_limit_come_from_the_environment(tmp_path):
    config = load_config(str(tmp_path), {
        "DSAR_JOB_BATCH_SIZE": "500", "DSAR_STAFF_API_LIMIT": "60 per minute; 1000/day",
        "DSAR_JOB_SCHEDULES": '{"retention": {"trigger": "cron", "hour": 4}, "anonymize-ips": null}',
        "DSAR_PENDING_SIGNIN_MINUTES": "3"})
    assert config["DSAR_JOB_BATCH_SIZE"] == 500 and config["DSAR_PENDING_SIGNIN_MINUTES"] == 3
    assert config["DSAR_STAFF_API_LIMIT"] == "60 per minute; 1000/day"
    assert config["DSAR_JOB_SCHEDULES"] == {"retention": {"trigger": "cron", "hour": 4}, "anonymize-ips": None}
    defaults = load_config(str(tmp_path), {})
    assert (defaults["DSAR_STAFF_API_LIMIT"], defaults["DSAR_JOB_BATCH_SIZE"]) == ("600 per minute", 100000)


@pytest.mark.parametrize("value", [
    "5/minute;20/hour", "10 per 2 minutes", "1/SECOND", " 3 / day , 4 per month | 5/years", "5 per 0 minute",
    "0/minute", "5/minute;0/hour", "5/fortnight", "5/minute;", "", "five/minute", "5/minuteſ", "5\uff0fminute",
    "5/minute\n",
])
def test_the_intake_limit_is_judged_as_flask_limiter_reads_it(tmp_path, value):
    """The usual forms are checked without importing ``limits`` (start-up); the verdict is the library's."""
    from limits import parse_many

    try:
        expected = all(limit.amount > 0 for limit in parse_many(value))
    except ValueError:
        expected = False
    try:
        load_config(str(tmp_path), {"DSAR_INTAKE_RATE_LIMIT": value})
        accepted = True
    except ConfigurationError as error:
        assert "DSAR_INTAKE_RATE_LIMIT" in error.message
        accepted = False
    assert accepted == expected, value
