"""A data-subject rights request and what hangs off it (SPEC §3, §4, §6)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dsar.models.base import Base, UTCDateTime, utcnow


class RightsRequest(Base):
    """One request. Subject identifiers are stored encrypted (``*_enc``) with a keyed
    hash beside the e-mail for lookups; never in plain text."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_tenant_status_target", "tenant_id", "status", "target_date"),
        Index("ix_requests_tenant_email_hash", "tenant_id", "subject_email_hash"),
        Index("ix_requests_tenant_received", "tenant_id", "received_at"),
        # The queue: a tenant's requests by target date, first page without a sort
        # (measured in benchmarks/queue_page.py), and the same per request type.
        Index("ix_requests_tenant_target", "tenant_id", "target_date", "id"),
        Index("ix_requests_tenant_type_target", "tenant_id", "type", "target_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="unverified")
    regime: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20), default="portal")
    language: Mapped[str] = mapped_column(String(5), default="en")

    subject_email_enc: Mapped[str | None] = mapped_column(Text)
    subject_email_hash: Mapped[str | None] = mapped_column(String(64))
    subject_name_enc: Mapped[str | None] = mapped_column(Text)
    #: Encrypted JSON of further identifiers (phone, customer number) and the subject's details.
    subject_data_enc: Mapped[str | None] = mapped_column(Text)
    #: Encrypted JSON of an authorised agent's details, when an agent submitted.
    agent_enc: Mapped[str | None] = mapped_column(Text)
    requester_ip: Mapped[str | None] = mapped_column(String(45))
    gpc: Mapped[bool] = mapped_column(default=False)
    identifiers_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    policy_date: Mapped[date | None] = mapped_column(Date)
    target_date: Mapped[date] = mapped_column(Date)
    acknowledge_by: Mapped[date | None] = mapped_column(Date)
    extended_to: Mapped[date | None] = mapped_column(Date)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    erasure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: complied | complied_in_part | denied | withdrawn | expired
    outcome: Mapped[str | None] = mapped_column(String(20))
    denial_reason: Mapped[str | None] = mapped_column(Text)
    #: Structured result of fulfilment (counts per table, retained data with basis...).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: A legal hold on this request: its erasure is blocked and purges skip its data. Not the
    #: retention holds on rows of the tenant's databases (``dsar.retention.overrides``).
    legal_hold: Mapped[bool] = mapped_column(default=False)
    legal_hold_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    challenges: Mapped[list["VerificationChallenge"]] = relationship(
        back_populates="request", cascade="all, delete-orphan")
    tasks: Mapped[list["Task"]] = relationship(back_populates="request", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<RightsRequest {self.reference} {self.type} {self.status}>"


class VerificationChallenge(Base):
    """The link token and six-digit code of one verification message, stored hashed."""

    __tablename__ = "verification_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[RightsRequest] = relationship(back_populates="challenges")


class Task(Base):
    """Work for staff attached to a request: an Art. 19 notification to a recipient,
    or a rectification carrying the subject's correction."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # notify_recipient | rectify
    title: Mapped[str] = mapped_column(String(300))
    details_enc: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[RightsRequest] = relationship(back_populates="tasks")


class Reminder(Base):
    """One deadline reminder that was sent; the unique key makes each reminder go once."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("request_id", "kind", name="uq_reminders_request_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "before:7", "due", "overdue:2026-03-02"
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suppression(Base):
    """A subject on the tenant's suppression list, as a keyed hash of an identifier."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("tenant_id", "identifier_hash", "reason", name="uq_suppressions_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    identifier_hash: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="email")
    reason: Mapped[str] = mapped_column(String(20))  # the request type that put it there
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
