"""The controller whose requests and data dsar handles (SPEC §2)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dsar.domain.tenant_settings import DEFAULTS
from dsar.models.base import Base, UTCDateTime, utcnow


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    regime: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(10))
    #: The tenant's own promise ("we answer within 30 days"), on top of the legal regime.
    policy_days: Mapped[int | None] = mapped_column(Integer)
    #: Cancellable wait before an erasure executes; capped by the legal deadline.
    grace_days: Mapped[int] = mapped_column(Integer, default=30)
    datamap_path: Mapped[str | None] = mapped_column(String(500))
    dpo_email: Mapped[str | None] = mapped_column(String(320))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    #: Tenant-tunable rules (verification levels, reminder days, policy extension, retention
    #: overrides...). Read through ``setting()`` so every default lives in one table.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def setting(self, name: str) -> Any:
        return (self.settings or {}).get(name, DEFAULTS[name])

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
