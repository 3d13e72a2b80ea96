"""The three ways a message leaves (SPEC §8 ``DSAR_MAIL_BACKEND``): one interface.

``outbox`` keeps the message in the database for staff to read (nothing leaves the host),
``smtp`` speaks to a mail server with the standard library, ``sendgrid`` calls SendGrid's
v3 API through its official library. A backend raises ``DeliveryError`` with a message
free of personal data when a send fails; the outbox then retries later.
"""
from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any, Mapping, Protocol

SMTP_TIMEOUT = 20  # seconds; a request waiting on a dead mail server must not hang
log = logging.getLogger(__name__)
_ADDRESS = re.compile(r"[\w.!#$%&'*+/?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


class DeliveryError(Exception):
    """A send failed; ``str()`` is safe to store and show (addresses are redacted)."""

    def __init__(self, message: str):
        super().__init__(redact(message)[:1000])


def redact(text: str) -> str:
    """Mail servers echo recipients in their errors; logs and the outbox must not keep them."""
    return _ADDRESS.sub("<address>", text)


@dataclass(frozen=True)
class Envelope:
    """One message ready to go: decrypted, rendered, addressed."""

    to: str
    subject: str
    text: str
    html: str | None
    from_address: str
    from_name: str | None = None


class Backend(Protocol):
    name: str
    #: The outbox status of a message this backend has handled: ``sent``, or ``kept``.
    delivered_status: str

    def send(self, envelope: Envelope) -> None: ...


class OutboxBackend:
    """Keeps messages in the database (status ``kept``) for staff to read: the local default.

    In development the text body is also logged, so a developer can follow a link without
    opening the dashboard; the recipient's address never is.
    """

    name = "outbox"
    delivered_status = "kept"

    def __init__(self, log_bodies: bool = False):
        self.log_bodies = log_bodies

    def send(self, envelope: Envelope) -> None:
        if self.log_bodies:
            log.info("mail kept in the outbox: %s\n%s", envelope.subject, envelope.text)


class SmtpBackend:
    """Standard-library SMTP: plain, STARTTLS or implicit TLS, with an optional login."""

    name = "smtp"
    delivered_status = "sent"

    def __init__(self, host: str, port: int, *, username: str = "", password: str = "",
                 starttls: bool = False, use_ssl: bool = False):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.use_ssl = starttls, use_ssl

    def send(self, envelope: Envelope) -> None:
        message = build_mime(envelope)
        try:
            with self._connect() as smtp:
                if self.starttls and not self.use_ssl:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from None

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT,
                                    context=ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)


class SendGridBackend:
    """SendGrid's v3 Mail Send API; ``host`` is configurable so tests can stand in for it."""

    name = "sendgrid"
    delivered_status = "sent"

    def __init__(self, api_key: str, host: str):
        self.api_key, self.host = api_key, host

    def send(self, envelope: Envelope) -> None:
        from python_http_client.exceptions import HTTPError
        from sendgrid import SendGridAPIClient
        from sendgrid.helpers.mail import From, Mail

        mail = Mail(from_email=From(envelope.from_address, envelope.from_name), to_emails=envelope.to,
                    subject=envelope.subject, plain_text_content=envelope.text,
                    html_content=envelope.html)
        client = SendGridAPIClient(self.api_key, host=self.host)
        client.client.timeout = SMTP_TIMEOUT
        try:
            response = client.send(mail)
        except HTTPError as exc:
            raise DeliveryError(f"SendGrid answered {exc.status_code}: {_body(exc)}") from None
        except OSError as exc:
            raise DeliveryError(f"SendGrid unreachable: {type(exc).__name__}: {exc}") from None
        if not 200 <= response.status_code < 300:
            raise DeliveryError(f"SendGrid answered {response.status_code}")


def _body(exc: Any) -> str:
    body = getattr(exc, "body", b"") or b""
    return (body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body))[:300]


def build_mime(envelope: Envelope) -> EmailMessage:
    """A standard multipart/alternative message (text first, HTML as the richer part)."""
    message = EmailMessage()
    message["From"] = formataddr((envelope.from_name or "", envelope.from_address))
    message["To"] = envelope.to
    message["Subject"] = envelope.subject
    message["Message-ID"] = make_msgid(domain=envelope.from_address.rpartition("@")[2] or None)
    message.set_content(envelope.text)
    if envelope.html:
        message.add_alternative(envelope.html, subtype="html")
    return message


def backend_from_config(config: Mapping[str, Any]) -> Backend:
    """The backend ``DSAR_MAIL_BACKEND`` names, configured from the rest of ``config``."""
    name = config.get("DSAR_MAIL_BACKEND", "outbox")
    if name == "smtp":
        return SmtpBackend(config["DSAR_SMTP_HOST"], int(config["DSAR_SMTP_PORT"]),
                           username=config.get("DSAR_SMTP_USERNAME", ""),
                           password=config.get("DSAR_SMTP_PASSWORD", ""),
                           starttls=bool(config.get("DSAR_SMTP_STARTTLS")),
                           use_ssl=bool(config.get("DSAR_SMTP_SSL")))
    if name == "sendgrid":
        return SendGridBackend(config["DSAR_SENDGRID_API_KEY"], config["DSAR_SENDGRID_HOST"])
    return OutboxBackend(log_bodies=config.get("DSAR_ENV") == "development")
