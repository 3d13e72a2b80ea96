"""Changing a tenant's settings from the dashboard, checked like `dsar tenants create`."""
from __future__ import annotations

from typing import Any

from dsar.domain.request_states import REQUEST_TYPES
from dsar.domain.tenant_settings import check_country_region
from dsar.errors import ValidationError
from dsar.models import Tenant
from dsar.services import audit
from dsar.services.tenants import TenantSpec, validate

#: Tenant columns the settings page edits.
COLUMNS = ("name", "regime", "country", "policy_days", "grace_days", "dpo_email")
#: Keys of ``Tenant.settings`` the settings page edits (defaults: dsar.domain.tenant_settings).
#: Request types that prove identity (opt-out needs no verification, SPEC §4).
VERIFIED_TYPES = tuple(kind for kind in REQUEST_TYPES if kind != "opt_out")
SETTINGS = ("verification_hours", "unverified_expiry_days", "gdpr_pauses", "export_days", "supervisory_authority")


def current_values(tenant: Tenant) -> dict[str, Any]:
    values = {name: getattr(tenant, name) for name in COLUMNS}
    values.update({name: tenant.setting(name) for name in SETTINGS})
    strong = tenant.setting("strong_verification")
    for kind in VERIFIED_TYPES:
        values[f"points_{kind}"] = strong.get(kind, {}).get("data_points", 0)
        values[f"declaration_{kind}"] = bool(strong.get(kind, {}).get("declaration", False))
    return values


def _spec(tenant: Tenant, values: dict[str, Any]) -> TenantSpec:
    """The submitted values as a tenant spec; a number the form could not read keeps the
    tenant's own (the form already says what is wrong with it)."""
    grace = values.get("grace_days")
    return TenantSpec(
        slug=tenant.slug, name=values.get("name") or "", regime=values.get("regime") or "",
        country=values.get("country") or "", policy_days=values.get("policy_days"),
        grace_days=tenant.grace_days if grace is None else grace,
        datamap_path=tenant.datamap_path, dpo_email=values.get("dpo_email") or None)


def problems(tenant: Tenant, values: dict[str, Any]) -> dict[str, str]:
    """Every rule the submitted values break, field -> message, all at once (not one by one)."""
    found: dict[str, str] = {}
    try:
        validate(_spec(tenant, values))
    except ValidationError as exc:
        found.update(exc.details.get("fields") or {exc.details.get("field", ""): exc.message})
    if "country" not in found:
        try:
            check_country_region(values.get("country") or "")
        except ValidationError as exc:
            found["country"] = exc.message
    return found


def update(tenant: Tenant, values: dict[str, Any], actor: str) -> list[str]:
    """Apply the submitted values (checked by :func:`problems`: ValidationError naming the
    first field otherwise); return the names of what changed (also audited)."""
    check_country_region(values["country"])
    spec = validate(_spec(tenant, values))
    before = current_values(tenant)
    for name in COLUMNS:
        setattr(tenant, name, getattr(spec, name))
    settings = dict(tenant.settings or {})
    settings.update({name: values[name] for name in SETTINGS})
    strong = {}
    for kind in VERIFIED_TYPES:
        points, declaration = values.get(f"points_{kind}") or 0, bool(values.get(f"declaration_{kind}"))
        if points or declaration:
            strong[kind] = {"data_points": points, "declaration": declaration}
    settings["strong_verification"] = strong
    tenant.settings = settings
    changed = sorted(k for k, v in current_values(tenant).items() if before.get(k) != v)
    if changed:
        audit.record(tenant.id, "settings_changed", actor, payload={"changed": changed})
    return changed

