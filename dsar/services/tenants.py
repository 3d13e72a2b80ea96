"""Creating and looking up tenants (SPEC §2, §8 `dsar tenants create`)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from dsar.domain.deadlines import grace_can_outlast_deadline, normalise_country
from dsar.domain.regimes import REGIME_CODES, Regime, get_regime
from dsar.errors import NotFound, ValidationError
from dsar.extensions import db
from dsar.models import Tenant
from dsar.services import audit
from dsar.services.datamaps import datamap_file, tenant_datamap

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class TenantSpec:
    slug: str
    name: str
    regime: str
    country: str
    policy_days: int | None = None
    grace_days: int = 30
    datamap_path: str | None = None
    dpo_email: str | None = None


def validate(spec: TenantSpec) -> TenantSpec:
    """Check every field; the error names the field so the CLI and forms can point at it.

    Every problem is found at once: ``details["fields"]`` maps each field to its message
    (a form shows them all together), the message joins them (the CLI's one line)."""
    problems = dict(_problems(spec))
    if problems:
        raise ValidationError("; ".join(problems.values()),
                              details={"field": next(iter(problems)), "fields": problems})
    return TenantSpec(**{**spec.__dict__, "slug": spec.slug, "country": normalise_country(spec.country)})


def _problems(spec: TenantSpec):
    """(field, message) for each field that is wrong, in the order of the spec."""
    if not SLUG.match(spec.slug):
        yield "slug", f"slug {spec.slug!r} must be lowercase letters, digits and dashes (max 63)"
    if not spec.name.strip() or len(spec.name) > 200:
        yield "name", "name must be 1 to 200 characters"
    if spec.regime not in REGIME_CODES:
        yield "regime", f"regime {spec.regime!r} is unknown; choose one of {', '.join(REGIME_CODES)}"
    try:
        normalise_country(spec.country)
    except ValidationError:
        yield "country", f"country {spec.country!r} is not a known ISO 3166 code (e.g. GB, FR, DE, US)"
    if spec.regime == "policy" and not spec.policy_days:
        yield "policy_days", "regime 'policy' needs --policy-days"
    elif spec.policy_days is not None and not 1 <= spec.policy_days <= 365:
        yield "policy_days", "policy days must be between 1 and 365"
    if not 0 <= spec.grace_days <= 90:
        yield "grace_days", "grace days must be between 0 and 90"


def create_tenant(spec: TenantSpec, *, actor: str = "cli") -> Tenant:
    spec = validate(spec)
    if db.session.execute(select(Tenant.id).where(Tenant.slug == spec.slug)).first():
        raise ValidationError(f"a tenant with slug {spec.slug!r} already exists", details={"field": "slug"})
    tenant = Tenant(slug=spec.slug, name=spec.name.strip(), regime=spec.regime, country=spec.country,
                    policy_days=spec.policy_days, grace_days=spec.grace_days,
                    datamap_path=spec.datamap_path, dpo_email=spec.dpo_email, settings={})
    if tenant.datamap_path:
        _check_datamap(tenant)
    db.session.add(tenant)
    db.session.flush()
    audit.record(tenant.id, "tenant_created", actor,
                 payload={"slug": tenant.slug, "regime": tenant.regime, "country": tenant.country})
    return tenant


def _check_datamap(tenant: Tenant) -> None:
    """A tenant's data map must load (errors name file, line and key) and be its own."""

    datamap = tenant_datamap(tenant)
    if datamap.tenant != tenant.slug:
        raise ValidationError(f"{datamap_file(tenant)}: this data map is for tenant {datamap.tenant!r}, "
                              f"not {tenant.slug!r}", details={"field": "datamap"})


def get_tenant(slug: str) -> Tenant:
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}", details={"field": "tenant"})
    return tenant


def only_tenant() -> Tenant | None:
    """The tenant `/` leads to: the only one, or the first made (a single-tenant deployment)."""
    return db.session.execute(select(Tenant).order_by(Tenant.id).limit(1)).scalar_one_or_none()


def regime_for(tenant: Tenant, code: str | None = None) -> Regime:
    """The regime ``code`` (default: the tenant's) with the tenant's own settings applied."""
    return get_regime(code or tenant.regime, policy_days=tenant.policy_days,
                      policy_extension_days=tenant.setting("policy_extension_days"),
                      policy_pauses=tenant.setting("policy_pauses"), gdpr_pauses=tenant.setting("gdpr_pauses"))


def configuration_warnings(tenant: Tenant) -> list[str]:
    """What an operator should know about a tenant's settings (shown at configuration time)."""
    warnings = []
    regime = regime_for(tenant)
    if grace_can_outlast_deadline(regime, tenant.grace_days):
        warnings.append(
            f"an erasure grace period of {tenant.grace_days} days can end after the {regime.name} deadline "
            f"({regime.period.describe()}); such erasures will execute on the deadline instead")
    return warnings
