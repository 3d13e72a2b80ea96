"""Changing a tenant's settings from the dashboard, checked like `dsar tenants create`."""
from __future__ import annotations

from typing import Any

from dsar.domain.request_states import REQUEST_TYPES
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


def update(tenant: Tenant, values: dict[str, Any], actor: str) -> list[str]:
    """Apply the submitted values; return the names of what changed (also audited)."""
    spec = validate(TenantSpec(
        slug=tenant.slug, name=values["name"], regime=values["regime"], country=values["country"],
        policy_days=values.get("policy_days"), grace_days=values["grace_days"],
        datamap_path=tenant.datamap_path, dpo_email=values.get("dpo_email") or None))
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

