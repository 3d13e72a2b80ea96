"""Access logs never record e-mail addresses or tokens carried in URLs (issue 13 finding 8):
neither werkzeug's server (`dsar run`) nor gunicorn with the project's gunicorn.conf.py."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from dsar.access_log import RedactingRequestHandler, redact
from tests.conftest import environ_for
from tests.reliability.nginx_proxy import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("sam@example.com", "sam%40example.com", "Tok3nThatActsForTheSubject0123456789",
           "statustoken0123456789abcdefXYZ")
URLS = ("/api/v1/suppressions/check?email=sam%40example.com",
        "/download/Tok3nThatActsForTheSubject0123456789",
        "/r/DSR-2026-0001?t=statustoken0123456789abcdefXYZ",
        "/t/acme/verify/Tok3nThatActsForTheSubject0123456789",
        "/password/reset/Tok3nThatActsForTheSubject0123456789")


def _get(url: str) -> None:
    try:
        urllib.request.urlopen(url, timeout=30).read()
    except urllib.error.HTTPError:
        pass


@pytest.mark.parametrize("target, logged", [
    ("/api/v1/suppressions/check?email=sam%40example.com", "/api/v1/suppressions/check?email=[redacted]"),
    ("/r/DSR-1?t=abc&lang=fr", "/r/DSR-1?t=[redacted]&lang=[redacted]"),
    ("/download/short", "/download/[redacted]"),
    ("/dashboard/requests/DSR-2026-0001", "/dashboard/requests/DSR-2026-0001"),
])
def test_redact(target, logged):
    assert redact(target) == logged


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_the_development_server_logs_redacted_lines(app):
    # Our own handler on werkzeug's logger (an Alembic run earlier in the session may have
    # disabled existing loggers through logging.config, which caplog would not undo).
    logger, collect = logging.getLogger("werkzeug"), _Collect()
    disabled, level = logger.disabled, logger.level
    logger.disabled, logger.level = False, logging.INFO
    logger.addHandler(collect)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=RedactingRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for url in URLS:
            _get(f"http://127.0.0.1:{server.server_port}{url}")
    finally:
        server.shutdown()
        logger.removeHandler(collect)
        logger.disabled, logger.level = disabled, level
    logged = "\n".join(collect.lines)
    assert "/api/v1/suppressions/check?email=[redacted]" in logged and "/download/[redacted]" in logged
    assert not [secret for secret in SECRETS if secret in logged]


def test_gunicorn_access_log_is_redacted(database_url, tmp_path):
    port, log = free_port(), tmp_path / "access.log"
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("DSAR_")},
               **environ_for(database_url, tmp_path)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "--access-logfile", str(log),
                                "wsgi:app"], cwd=ROOT, env=environ, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                _get(f"http://127.0.0.1:{port}/login")
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                time.sleep(0.2)
        for url in URLS:
            _get(f"http://127.0.0.1:{port}{url}")
    finally:
        process.terminate()
        process.wait(timeout=30)
    logged = log.read_text()
    assert "/api/v1/suppressions/check?email=[redacted]" in logged and "/download/[redacted]" in logged
    assert not [secret for secret in SECRETS if secret in logged]
