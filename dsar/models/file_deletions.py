"""The journal of file deletions (SPEC §6 "Files"): which files erasure and retention decided
to delete, recorded before their rows go, so a run killed half-way finishes on the next."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dsar.models.base import Base, UTCDateTime, utcnow


class FileDeletion(Base):
    """One file to delete from a store of the tenant's data map.

    ``done_at`` stays empty until the file is gone; ``outcome`` then says ``deleted``,
    ``missing`` (it was already gone: noted, not an error) or ``cancelled`` (the rows'
    deletion failed, so the file stays with its row). Holds a store key, never the file.
    """

    __tablename__ = "file_deletions"
    __table_args__ = (Index("ix_file_deletions_tenant_id_done_at", "tenant_id", "done_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    store: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(200))  # "erasure REQ-…", "retention app.recordings"
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(10))  # deleted | missing | cancelled
