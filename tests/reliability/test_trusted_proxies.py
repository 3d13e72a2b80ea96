"""Behind a real reverse proxy (Debian's nginx on loopback), DSAR_TRUSTED_PROXIES=1 makes
per-IP limits count per real client, ignores X-Forwarded-For sent by anyone but the proxy,
and sends HSTS when the proxy says the client came over HTTPS (issue 13 finding 7)."""
from __future__ import annotations

import http.client
import json
import threading

import pytest
from werkzeug.serving import make_server

from dsar import create_app
from tests.factories import make_tenant
from tests.reliability.nginx_proxy import NginxInFront

INTAKE = "/api/v1/tenants/acme/requests"


def call(port: int, path: str, *, source: str = "127.0.0.1", headers: dict | None = None,
         body: dict | None = None) -> http.client.HTTPResponse:
    """One request from the loopback address ``source`` (each its own connection)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    data = json.dumps(body).encode() if body is not None else None
    connection.request("POST" if body is not None else "GET", path, body=data,
                       headers={**({"Content-Type": "application/json"} if body else {}), **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def intake(port: int, n: int, **kwargs) -> int:
    return call(port, INTAKE, body={"type": "access", "email": f"person{n}@example.com"}, **kwargs).status


def limited_app(app_environ, instance, proxies: str):
    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True},
                      environ={**app_environ, "DSAR_TRUSTED_PROXIES": proxies}, instance_path=str(instance))


@pytest.fixture
def proxied(app, app_environ, instance):
    make_tenant("acme")
    proxy = NginxInFront().start(limited_app(app_environ, instance, "1"))
    yield proxy
    proxy.stop()


def test_limits_count_per_real_client_behind_the_proxy(proxied):
    assert [intake(proxied.http_port, n, source="127.0.0.2") for n in range(5)] == [202] * 5
    assert intake(proxied.http_port, 5, source="127.0.0.2") == 429
    # Another client behind the same proxy is not held back by the first one's budget.
    assert intake(proxied.http_port, 6, source="127.0.0.3") == 202


def test_forwarded_for_sent_by_the_client_is_ignored(proxied):
    spoofed = [intake(proxied.http_port, n, source="127.0.0.4", headers={"X-Forwarded-For": f"203.0.113.{n}"})
               for n in range(6)]
    assert spoofed == [202] * 5 + [429]


def test_hsts_is_sent_when_the_proxy_says_https(proxied):
    assert "Strict-Transport-Security" in call(proxied.https_port, "/login").headers
    assert "Strict-Transport-Security" not in call(proxied.http_port, "/login").headers
    # A client cannot claim HTTPS itself through the plain listener.
    claimed = call(proxied.http_port, "/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in claimed.headers


@pytest.fixture
def direct(app, app_environ, instance):
    """No proxy and the default DSAR_TRUSTED_PROXIES=0: the app faces clients itself."""
    make_tenant("acme")
    web = make_server("127.0.0.1", 0, limited_app(app_environ, instance, "0"), threaded=True)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    yield web.server_port
    web.shutdown()


def test_without_trusted_proxies_forwarded_headers_mean_nothing(direct):
    spoofed = [intake(direct, n, headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(6)]
    assert spoofed == [202] * 5 + [429]
    assert "Strict-Transport-Security" not in call(direct, "/login", headers={"X-Forwarded-Proto": "https"}).headers
