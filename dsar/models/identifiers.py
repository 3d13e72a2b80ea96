"""The identifiers a request names beside its e-mail address, and whether each is proven (SPEC §4)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dsar.models.base import Base, UTCDateTime


class RequestIdentifier(Base):
    """One identifier (phone, customer number, a custom identity of the data map) of a request.

    ``proof`` is None while it is a *hint* the requester typed: shown to staff, never used
    to find anyone's rows. It becomes ``data_point`` when stronger verification matched it
    on the rows of the verified e-mail address, or ``staff`` when a member of staff
    confirmed it with a recorded reason. The value is stored encrypted.
    """

    __tablename__ = "request_identifiers"
    __table_args__ = (UniqueConstraint("request_id", "kind", name="uq_request_identifiers_request_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    value_enc: Mapped[str | None] = mapped_column(Text)
    proof: Mapped[str | None] = mapped_column(String(20))  # None (a hint) | data_point | staff
    proven_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proven_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
