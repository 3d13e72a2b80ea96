"""Real mail servers on loopback: an aiosmtpd SMTP server (optionally with STARTTLS and
login) and, through pytest-httpserver, a stand-in for SendGrid's HTTP API."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER, SMTP_PASSWORD = "mailer", "s3cret-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    rcpt_tos: list[str]
    mail_from: str
    message: EmailMessage
    authenticated_as: str | None
    encrypted: bool = False

    def part(self, subtype: str) -> str:
        return self.message.get_body(preferencelist=(subtype,)).get_content().replace("\r\n", "\n")


@dataclass
class Collector:
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(Received(list(envelope.rcpt_tos), envelope.mail_from, message, login,
                                      encrypted=bool(session.ssl)))
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
        SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class SmtpServer:
    """An SMTP server in a thread on 127.0.0.1; ``start()`` again after ``stop()`` on the same port."""

    def __init__(self, port: int, tls_context: ssl.SSLContext | None = None):
        self.port, self.tls_context = port, tls_context
        self.collector = Collector()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.collector.received

    def start(self) -> "SmtpServer":
        options = {}
        if self.tls_context is not None:
            options = {"tls_context": self.tls_context, "require_starttls": True,
                       "authenticator": _authenticator, "auth_required": True}
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(smtp_port):
    server = SmtpServer(smtp_port).start()
    yield server
    server.stop()


@pytest.fixture
def tls_files(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # OpenSSL checks validity against the machine's clock, not the test clock (tests/clock.py),
    # so the certificate is valid for years either side of any moment a run is moved to.
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=3650))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_smtp_server(smtp_port, tls_files, monkeypatch):
    """STARTTLS required, then login required; the client trusts the test certificate."""
    cert_path, key_path = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    server = SmtpServer(smtp_port, tls_context=context).start()
    yield server
    server.stop()
