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
])
def test_bad_values_are_named(tmp_path, environ, message):
    with pytest.raises(ConfigurationError, match=message):
        load_config(str(tmp_path), environ)
