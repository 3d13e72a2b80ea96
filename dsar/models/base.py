"""Declarative base, shared column types and the one tenant-scoping helper."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TypeVar

from sqlalchemy import DateTime, MetaData, Select, select
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite forgets time zones, PostgreSQL keeps
    them; this makes both behave the same so comparisons never mix naive and aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use dsar.models.base.utcnow()")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


M = TypeVar("M")


def for_tenant(model: type[M], tenant_id: int) -> Select[tuple[M]]:
    """Every query of tenant-owned rows starts here, so none can forget the tenant."""
    return select(model).where(model.tenant_id == tenant_id)  # type: ignore[attr-defined]
