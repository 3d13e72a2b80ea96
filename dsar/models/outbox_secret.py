"""The parts of an outgoing message that act for its recipient (codes, verification,
status, download, invitation and reset links), kept apart from the stored copy.

The stored message shows placeholders; delivery puts the values back. Once a real mail
server (smtp, sendgrid) has the message, this row is deleted: what staff can read keeps no
secret at all.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from dsar.models.base import Base


class OutboxSecret(Base):
    __tablename__ = "outbox_secrets"

    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), primary_key=True)
    #: JSON list of the values, encrypted with the key ring; placeholder N is item N.
    values_enc: Mapped[str] = mapped_column(Text)
