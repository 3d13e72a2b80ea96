"""``own-retention``: the platform keeps the promises it asks of others (SPEC §7).

==========================================  ==============================================
what                                        when, and what happens
==========================================  ==============================================
requester IP address of a request           removed entirely after ``requester_ip_days`` (30):
                                            nothing needs it after the abuse window, and a
                                            masked address beside encrypted identity is
                                            still linkable
a closed request's subject identifiers      erased ``record_keeping_months`` (24; never less
(e-mail, its hash, name, further data,      than 24 for a CCPA tenant or request, §7101)
agent), its tasks' details, its mail's      after it closed; type, regime, channel, dates,
recipient and bodies                        outcome and denial reason stay for the statistics
used or expired verification codes          deleted 7 days after use or expiry (the grace
                                            lets the portal still say "this code expired")
expired access/portability exports          encrypted file removed (where the export
                                            service wrote it), record marked deleted
bodies of sent mail                         blanked 30 days after sending
==========================================  ==============================================

A request under legal hold keeps everything. Work is done in bounded batches of ids, each
committed, so a crash loses one batch at most and the next run finishes.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from dsar.datamap.model import Duration
from dsar.domain.request_states import CLOSED_STATES
from dsar.extensions import db
from dsar.jobs.registry import JobContext
from dsar.keyring import keyring
from dsar.models import Export, OutboxMessage, RequestIdentifier, RightsRequest, Task, Tenant, VerificationChallenge
from dsar.services.checkpoint import checkpoint

CCPA_MINIMUM_MONTHS = 24
CODE_GRACE = timedelta(days=7)
MAIL_BODY_DAYS = 30
#: The most ids one batch of the platform's own rows holds: each batch is one ``IN`` list.
OWN_BATCH = 10_000
ERASED_RECIPIENT = "[erased]"


def apply_own_retention(ctx: JobContext, tenant: Tenant | None, *, batch_size: int) -> None:
    """One tenant's own-retention (``tenant`` None: only mail that belongs to no tenant)."""
    steps = _Steps(ctx, batch_size)
    if tenant is not None:
        steps.requester_ips(tenant)
        steps.identifiers(tenant)
        steps.codes(tenant)
        steps.exports(tenant)
    steps.mail_bodies(tenant.id if tenant is not None else None)


class _Steps:
    def __init__(self, ctx: JobContext, batch_size: int):
        self.ctx = ctx
        self.now: datetime = ctx.now
        self.size = min(batch_size, OWN_BATCH)

    def _batched(self, label: str, model, where: list, apply: Callable[[list[int]], int]) -> None:
        """Run ``apply`` on the ids of ``model`` rows matching ``where``, a batch at a time."""
        self.ctx.count(label, 0)
        if self.ctx.dry_run:
            count = db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()
            db.session.rollback()
            self.ctx.count(label, count)
            return
        last, done = 0, 0
        while True:
            ids = db.session.execute(sa.select(model.id).where(*where, model.id > last)
                                     .order_by(model.id).limit(self.size)).scalars().all()
            if not ids:
                break
            changed = apply(ids)
            checkpoint("batch")
            done += changed
            self.ctx.count(label, changed)
            self.ctx.progress(label, done, None)
            if len(ids) < self.size:
                break
            last = ids[-1]

    def requester_ips(self, tenant: Tenant) -> None:
        days = int(tenant.setting("requester_ip_days"))
        where = [RightsRequest.tenant_id == tenant.id, RightsRequest.requester_ip.is_not(None),
                 RightsRequest.received_at < self.now - timedelta(days=days), RightsRequest.legal_hold.is_(False)]
        self._batched(f"requests: requester IP removed after {days} days", RightsRequest, where,
                      lambda ids: _update(RightsRequest, ids, requester_ip=None))

    def identifiers(self, tenant: Tenant) -> None:
        months = int(tenant.setting("record_keeping_months"))
        if tenant.regime == "ccpa":
            months = max(months, CCPA_MINIMUM_MONTHS)
        cutoff = Duration(months, "months").before(self.now)
        ccpa_cutoff = Duration(max(months, CCPA_MINIMUM_MONTHS), "months").before(self.now)
        where = [RightsRequest.tenant_id == tenant.id, RightsRequest.status.in_(CLOSED_STATES),
                 RightsRequest.completed_at < cutoff, RightsRequest.identifiers_erased_at.is_(None),
                 RightsRequest.legal_hold.is_(False),
                 sa.or_(RightsRequest.regime != "ccpa", RightsRequest.completed_at < ccpa_cutoff)]
        self._batched(f"requests: identifiers erased {months} months after closing", RightsRequest, where,
                      self._erase_identifiers)

    def _erase_identifiers(self, ids: list[int]) -> int:
        erased = _update(RightsRequest, ids, subject_email_enc=None, subject_email_hash=None,
                         subject_name_enc=None, subject_data_enc=None, agent_enc=None, requester_ip=None,
                         identifiers_erased_at=self.now)
        db.session.execute(sa.update(Task).where(Task.request_id.in_(ids)).values(details_enc=None))
        # Phone, customer number and custom identities of the request (with their proofs).
        db.session.execute(sa.delete(RequestIdentifier).where(RequestIdentifier.request_id.in_(ids)))
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.request_id.in_(ids),
                                                          OutboxMessage.status != "pending")
                           .values(to_enc=keyring().encrypt_text(ERASED_RECIPIENT), body_text_enc=None,
                                   body_html_enc=None))
        return erased

    def codes(self, tenant: Tenant) -> None:
        before = self.now - CODE_GRACE
        of_tenant = sa.select(RightsRequest.id).where(RightsRequest.tenant_id == tenant.id)
        where = [VerificationChallenge.request_id.in_(of_tenant),
                 sa.or_(VerificationChallenge.used_at < before, VerificationChallenge.expires_at < before)]
        self._batched("verification codes: deleted 7 days after use or expiry", VerificationChallenge, where,
                      lambda ids: db.session.execute(
                          sa.delete(VerificationChallenge).where(VerificationChallenge.id.in_(ids))).rowcount)

    def exports(self, tenant: Tenant) -> None:
        held = sa.select(RightsRequest.id).where(RightsRequest.legal_hold.is_(True))
        where = [Export.tenant_id == tenant.id, Export.expires_at < self.now, Export.deleted_at.is_(None),
                 Export.request_id.not_in(held)]
        self._batched("exports: expired files removed", Export, where, self._remove_exports)

    def _remove_exports(self, ids: list[int]) -> int:
        # The path is the export service's own (``<export dir>/<tenant>/<id>.zip.enc``), never
        # one built from the stored filename: the file must go, and nothing outside with it.
        from dsar.services.exports import export_path  # start-up: the export package (zip, mail) only here

        for export in db.session.execute(sa.select(Export).where(Export.id.in_(ids))).scalars():
            export_path(export).unlink(missing_ok=True)
        return _update(Export, ids, deleted_at=self.now)

    def mail_bodies(self, tenant_id: int | None) -> None:
        same_tenant = OutboxMessage.tenant_id.is_(None) if tenant_id is None else OutboxMessage.tenant_id == tenant_id
        where = [same_tenant, OutboxMessage.status == "sent",
                 OutboxMessage.sent_at < self.now - timedelta(days=MAIL_BODY_DAYS),
                 sa.or_(OutboxMessage.body_text_enc.is_not(None), OutboxMessage.body_html_enc.is_not(None))]
        self._batched(f"mail: bodies blanked {MAIL_BODY_DAYS} days after sending", OutboxMessage, where,
                      lambda ids: _update(OutboxMessage, ids, body_text_enc=None, body_html_enc=None))


def _update(model, ids: list[int], **values) -> int:
    return db.session.execute(sa.update(model).where(model.id.in_(ids)).values(**values)).rowcount
