"""The one place that reads the environment (SPEC §8).

Local use needs no configuration at all: the database is SQLite under ``instance/``
and the secret and encryption keys are generated there on first start. With
``DSAR_ENV=production`` a missing secret or key stops start-up with a clear error:
a silently generated key would make encrypted data unreadable on the next host.
"""
from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any, Mapping

from cryptography.fernet import Fernet

from dsar.errors import ConfigurationError

MAIL_BACKENDS = ("outbox", "smtp", "sendgrid")

#: Environment variable -> (Flask config key, default). Booleans and integers are
#: converted by ``_convert`` below; everything else stays a string.
ENVIRONMENT = {
    "DSAR_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", None),
    "DSAR_SECRET_KEY": ("SECRET_KEY", None),
    "DSAR_ENCRYPTION_KEYS": ("DSAR_ENCRYPTION_KEYS", None),
    "DSAR_MAIL_BACKEND": ("DSAR_MAIL_BACKEND", "outbox"),
    "DSAR_SMTP_HOST": ("DSAR_SMTP_HOST", "localhost"),
    "DSAR_SMTP_PORT": ("DSAR_SMTP_PORT", "25"),
    "DSAR_SMTP_USERNAME": ("DSAR_SMTP_USERNAME", ""),
    "DSAR_SMTP_PASSWORD": ("DSAR_SMTP_PASSWORD", ""),
    "DSAR_SMTP_STARTTLS": ("DSAR_SMTP_STARTTLS", "off"),
    "DSAR_SMTP_SSL": ("DSAR_SMTP_SSL", "off"),
    "DSAR_SENDGRID_API_KEY": ("DSAR_SENDGRID_API_KEY", ""),
    "DSAR_SENDGRID_HOST": ("DSAR_SENDGRID_HOST", "https://api.sendgrid.com"),
    "DSAR_MAIL_FROM": ("DSAR_MAIL_FROM", "privacy@localhost"),
    "DSAR_BASE_URL": ("DSAR_BASE_URL", "http://127.0.0.1:5000"),
    "DSAR_EXPORT_DIR": ("DSAR_EXPORT_DIR", None),
    "DSAR_DATAMAP_DIR": ("DSAR_DATAMAP_DIR", None),
    "DSAR_SCHEDULER": ("DSAR_SCHEDULER", "on"),
    "DSAR_JOB_BATCH_SIZE": ("DSAR_JOB_BATCH_SIZE", "100000"),  # the most rows one retention batch changes
    "DSAR_JOB_SCHEDULES": ("DSAR_JOB_SCHEDULES", None),  # JSON: {"retention": {"trigger": "cron", "hour": 3}}
    "DSAR_STAFF_API_LIMIT": ("DSAR_STAFF_API_LIMIT", "600 per minute"),  # per API token
    "DSAR_RATELIMIT_STORAGE_URL": ("RATELIMIT_STORAGE_URI", "memory://"),
    "DSAR_INTAKE_RATE_LIMIT": ("DSAR_INTAKE_RATE_LIMIT", "5/minute;20/hour"),  # accepted submissions per IP
    "DSAR_ENV": ("DSAR_ENV", "development"),
    "DSAR_SESSION_IDLE_MINUTES": ("DSAR_SESSION_IDLE_MINUTES", "30"),
    "DSAR_SESSION_MAX_HOURS": ("DSAR_SESSION_MAX_HOURS", "8"),
    "DSAR_PENDING_SIGNIN_MINUTES": ("DSAR_PENDING_SIGNIN_MINUTES", "5"),  # password given, second factor due
    "DSAR_MAX_BODY_BYTES": ("MAX_CONTENT_LENGTH", str(1024 * 1024)),
    "DSAR_TRUSTED_PROXIES": ("DSAR_TRUSTED_PROXIES", "0"),
}

BOOLEAN_KEYS = {"DSAR_SMTP_STARTTLS", "DSAR_SMTP_SSL", "DSAR_SCHEDULER"}
#: Whole-number settings and the range each must fall in.
INTEGER_RANGES = {
    "DSAR_SMTP_PORT": (1, 65535),
    "DSAR_SESSION_IDLE_MINUTES": (1, 24 * 60),
    "DSAR_SESSION_MAX_HOURS": (1, 7 * 24),
    "DSAR_PENDING_SIGNIN_MINUTES": (1, 60),
    "DSAR_JOB_BATCH_SIZE": (1, 10_000_000),
    "DSAR_MAX_BODY_BYTES": (1024, 1024 ** 3),
    "DSAR_TRUSTED_PROXIES": (0, 10),
}
#: One rate limit as Flask-Limiter reads it ("600 per minute", "10/hour"); several with ";" or ",".
_RATE = re.compile(r"\s*\d+\s*(?:/|per)\s*(?:\d+\s*)?(?:second|minute|hour|day|month|year)s?\s*", re.IGNORECASE)
#: One limit of DSAR_INTAKE_RATE_LIMIT in the plainest of the forms Flask-Limiter reads (``limits``'
#: grammar, ASCII only): those are checked here; any other form is left to ``limits`` itself.
_PLAIN_LIMIT = re.compile(r"\s*([0-9]+)\s*(?:/|\s*per\s*)\s*(?:[0-9]+)?\s*(?:second|minute|hour|day|month|year)s?\s*",
                          re.IGNORECASE | re.ASCII)
#: A signing key must be at least this long (bytes), and not a repeated character or two.
MIN_SECRET_BYTES = 32
MIN_SECRET_DISTINCT = 12
_TRUE = {"1", "on", "true", "yes"}
_FALSE = {"0", "off", "false", "no", ""}


def load_config(instance_path: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment, filling safe local defaults."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for variable, (key, default) in ENVIRONMENT.items():
        raw = environ.get(variable, default)
        config[key] = _convert(variable, raw) if raw is not None else None
    _check_choices(config)
    production = config["DSAR_ENV"] == "production"
    instance = Path(instance_path)
    if not config["SQLALCHEMY_DATABASE_URI"]:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'dsar.db'}"
    config["SECRET_KEY"] = config["SECRET_KEY"] or _local_secret(
        production, instance, "secret_key", "DSAR_SECRET_KEY", lambda: secrets.token_urlsafe(48))
    config["DSAR_ENCRYPTION_KEYS"] = config["DSAR_ENCRYPTION_KEYS"] or _local_secret(
        production, instance, "encryption_key", "DSAR_ENCRYPTION_KEYS", lambda: Fernet.generate_key().decode())
    if production:
        _check_secret_key(config["SECRET_KEY"])
    config["DSAR_EXPORT_DIR"] = config["DSAR_EXPORT_DIR"] or str(instance / "exports")
    config["DSAR_DATAMAP_DIR"] = config["DSAR_DATAMAP_DIR"] or str(instance / "datamaps")
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = production
    return config


def _convert(variable: str, raw: str) -> Any:
    if variable in BOOLEAN_KEYS:
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ConfigurationError(f"{variable} must be on or off, not {raw!r}")
    if variable == "DSAR_JOB_SCHEDULES":
        return _job_schedules(raw)
    if variable == "DSAR_STAFF_API_LIMIT":
        return _rate_limit(variable, raw)
    if variable in INTEGER_RANGES:
        low, high = INTEGER_RANGES[variable]
        try:
            value = int(raw)
        except ValueError:
            raise ConfigurationError(f"{variable} must be a whole number, not {raw!r}") from None
        if not low <= value <= high:
            raise ConfigurationError(f"{variable} must be between {low} and {high}, not {value}")
        return value
    return raw


def _rate_limit(variable: str, raw: str) -> str:
    if not all(_RATE.fullmatch(part) for part in re.split(r"[;,]", raw)):
        raise ConfigurationError(f"{variable} must be a rate such as '600 per minute' or '10/second', not {raw!r}")
    return raw.strip()


def _job_schedules(raw: str) -> dict[str, Any]:
    """``{"job": {"trigger": "cron"|"interval", ...} | null}``: when each job runs, or that it does not.

    The shape is checked here; job names and trigger fields when the scheduler starts
    (``dsar.jobs.scheduler.schedules``), since knowing the jobs means importing them all."""
    example = '{"retention": {"trigger": "cron", "hour": 4}}'
    try:
        schedules = json.loads(raw)
    except ValueError:
        raise ConfigurationError(f"DSAR_JOB_SCHEDULES must be JSON, e.g. {example}") from None
    if not isinstance(schedules, dict):
        raise ConfigurationError(f"DSAR_JOB_SCHEDULES must be a JSON object of job names, e.g. {example}")
    for name, schedule in schedules.items():
        if schedule is None:
            continue
        if not isinstance(schedule, dict) or schedule.get("trigger") not in ("cron", "interval"):
            raise ConfigurationError(f"DSAR_JOB_SCHEDULES: the schedule of {name} must be null or an object "
                                     f'with "trigger": "cron" or "interval", e.g. {example}')
    return schedules


def _check_choices(config: dict[str, Any]) -> None:
    if config["DSAR_MAIL_BACKEND"] not in MAIL_BACKENDS:
        raise ConfigurationError(
            f"DSAR_MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, not {config['DSAR_MAIL_BACKEND']!r}")
    if config["DSAR_ENV"] not in ("development", "production", "test"):
        raise ConfigurationError(f"DSAR_ENV must be development, production or test, not {config['DSAR_ENV']!r}")
    if config["DSAR_MAIL_BACKEND"] == "sendgrid" and not config["DSAR_SENDGRID_API_KEY"]:
        raise ConfigurationError("DSAR_MAIL_BACKEND=sendgrid needs DSAR_SENDGRID_API_KEY")
    _check_rate_limit("DSAR_INTAKE_RATE_LIMIT", config["DSAR_INTAKE_RATE_LIMIT"])


def _check_rate_limit(variable: str, value: str) -> None:
    """A Flask-Limiter limit string whose every limit lets at least one request through.

    The usual forms (``5/minute;20/hour``) are read here; only others import ``limits``, which
    costs a command that serves no page a tenth of its start-up (issue #15)."""
    plain = [_PLAIN_LIMIT.fullmatch(part) for part in re.split(r"[,;|]", value)]
    if all(match and int(match.group(1)) > 0 for match in plain):
        return
    from limits import parse_many  # start-up: the unusual forms only

    try:
        if all(limit.amount > 0 for limit in parse_many(value)):
            return
    except ValueError:
        pass
    raise ConfigurationError(f"{variable} must be limits like 5/minute;20/hour, not {value!r}")


def _check_secret_key(key: str) -> None:
    """Sessions and every keyed hash rest on this key: a short or repetitive one is guessable."""
    if len(key.encode()) < MIN_SECRET_BYTES or len(set(key)) < MIN_SECRET_DISTINCT:
        raise ConfigurationError(
            f"DSAR_SECRET_KEY must be at least {MIN_SECRET_BYTES} random bytes; make one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")


def _local_secret(production: bool, instance: Path, filename: str, variable: str, generate) -> str:
    """Read a generated secret from instance/, creating it on first local start."""
    if production:
        raise ConfigurationError(f"{variable} must be set when DSAR_ENV=production")
    path = instance / filename
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = generate()
    # Create with owner-only permissions before writing: the key never sits world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
