"""What portal, API and service tests of intake share: submitting, and reading the messages
back out of the outbox the way a subject would read them in their mailbox."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import OutboxMessage, RightsRequest

CODE = re.compile(r"^\s+(\d{6})$", re.M)
VERIFY_LINK = re.compile(r"http://localhost(/t/[a-z0-9-]+/verify/[A-Za-z0-9_-]+)")
STATUS_LINK = re.compile(r"http://localhost(/r/DSR-[0-9A-Z-]+\?t=[0-9a-f]+)")


@dataclass
class Mail:
    row: OutboxMessage
    to: str
    subject: str
    text: str
    html: str

    @property
    def code(self) -> str:
        return CODE.search(self.text).group(1)

    @property
    def verify_path(self) -> str:
        return VERIFY_LINK.search(self.text).group(1)

    @property
    def status_path(self) -> str:
        return STATUS_LINK.search(self.text).group(1)


def mails(template: str | None = None) -> list[Mail]:
    """Every message in the outbox (oldest first), decrypted with the key ring."""
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    ring = keyring()
    return [Mail(row, ring.decrypt_text(row.to_enc), row.subject, ring.decrypt_text(row.body_text_enc),
                 ring.decrypt_text(row.body_html_enc)) for row in db.session.execute(query).scalars()]


def last_mail(template: str | None = None) -> Mail:
    found = mails(template)
    assert found, f"no {template or ''} message in the outbox"
    return found[-1]


def request_by_reference(reference: str) -> RightsRequest:
    db.session.expire_all()
    return db.session.execute(select(RightsRequest).where(RightsRequest.reference == reference)).scalar_one()


def all_requests() -> list[RightsRequest]:
    db.session.expire_all()
    return db.session.execute(select(RightsRequest).order_by(RightsRequest.id)).scalars().all()


FORM = {"type": "access", "email": "alice@example.com", "name": "Alice Example", "regime": "gdpr"}


def portal_submit(client, slug: str = "acme", headers: dict | None = None, follow_redirects: bool = True, **fields):
    """Submit the portal form; by default follow its redirect to the "sent" page (POST-redirect-GET)."""
    data = {**FORM, **fields}
    return client.post(f"/t/{slug}/requests", data={k: v for k, v in data.items() if v is not None},
                       headers=headers or {}, follow_redirects=follow_redirects)


REFERENCE_IN_PAGE = re.compile(r"DSR-[0-9A-Z]{4}-[0-9A-Z]{4}")


def reference_in(page: bytes) -> str:
    return REFERENCE_IN_PAGE.search(page.decode()).group(0)
