"""The application's key ring, built once per app from DSAR_ENCRYPTION_KEYS."""
from __future__ import annotations

from flask import Flask, current_app

from dsar.crypto import KeyRing

_EXTENSION = "dsar.keyring"


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = KeyRing.from_config(app.config["DSAR_ENCRYPTION_KEYS"], app.config["SECRET_KEY"])


def keyring() -> KeyRing:
    return current_app.extensions[_EXTENSION]
