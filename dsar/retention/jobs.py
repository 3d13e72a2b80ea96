"""The retention jobs (SPEC §7): ``retention``, ``anonymize-ips``, ``own-retention``.

Run for one tenant (``--tenant``, the API), each job does that tenant's work. Run for
every tenant (the nightly schedule, ``dsar jobs run NAME``), it starts one run per tenant
— each recorded on its own, so a tenant's staff see their own runs and one tenant's broken
data map fails only that tenant's run — and records a summary run over all of them.
"""
from __future__ import annotations

from functools import partial

from flask import current_app

from dsar.errors import ConfigurationError
from dsar.files.deletions import FileJournal
from dsar.jobs.registry import JobContext, job
from dsar.jobs.runner import for_each_tenant
from dsar.keyring import keyring
from dsar.models import Tenant
from dsar.retention.enforcement import enforce
from dsar.retention.own_data import apply_own_retention
from dsar.retention.overrides import OVERRIDES, effective_rules, retention_holds
from dsar.services.datamaps import tenant_datamap

NO_DATAMAP = "skipped: the tenant has no data map"


@job("retention")
def retention(ctx: JobContext) -> None:
    for_each_tenant(ctx, "retention", partial(_enforce, actions=("delete", "anonymize")))


@job("anonymize-ips")
def anonymize_ips(ctx: JobContext) -> None:
    for_each_tenant(ctx, "anonymize-ips", partial(_enforce, actions=("anonymize_ip",)))


@job("own-retention")
def own_retention(ctx: JobContext) -> None:
    for_each_tenant(ctx, "own-retention", _own)
    if ctx.tenant_id is None:  # mail that belongs to no tenant
        apply_own_retention(ctx, None, batch_size=batch_size())


def batch_size() -> int:
    """The most rows one batch changes (DSAR_JOB_BATCH_SIZE, read and checked with the rest of
    the configuration): the longest any one transaction grows."""
    return int(current_app.config["DSAR_JOB_BATCH_SIZE"])


def _enforce(ctx: JobContext, tenant: Tenant, *, actions: tuple[str, ...]) -> None:
    datamap = tenant_datamap(tenant)
    if datamap is None:
        ctx.count(NO_DATAMAP, 1)
        return
    if datamap.tenant != tenant.slug:
        raise ConfigurationError(f"the data map {datamap.path} describes tenant {datamap.tenant!r}, "
                                 f"not {tenant.slug!r}: nothing was done")
    rules = effective_rules(datamap, tenant.setting(OVERRIDES) or {}, ctx.now, actions)
    enforce(ctx, datamap, rules, hash_key=keyring().tenant_hash_key(tenant.id), holds=retention_holds(tenant),
            batch_size=batch_size(), files=FileJournal(tenant.id, datamap, origin="retention"))


def _own(ctx: JobContext, tenant: Tenant) -> None:
    apply_own_retention(ctx, tenant, batch_size=batch_size())
