"""What a tenant keeps and for how long: the data map's rules, overrides, retention holds.

* **Overrides** (tenant setting ``retention_overrides``, e.g. ``{"app.conversations":
  "6 months"}``) apply to every retention rule of that table and may only *shorten*: each
  rule keeps the shorter of its own period and the override. An override longer than every
  period the map gives the table would shorten nothing, so it is refused when it is set
  (:func:`set_retention_override`); should the map later shorten a period below a stored
  override, the map wins at run time.
* **Retention holds** (tenant setting ``legal_holds``: a list of ``{"table": "app.accounts",
  "column": "id", "value": 17, "reason": "..."}``; `dsar tenants hold`) keep the matching rows
  of that table, and every row of the tables that link to them through the data map (the
  account's conversations, their messages...), out of every retention rule until the hold is
  removed. They are legal holds on the tenant's own databases' rows, called *retention holds*
  here and in the dashboard's words so they are not taken for a request's legal hold
  (``RightsRequest.legal_hold``: that request's erasure is blocked and purges skip its data).
  The stored names keep their first spelling (the setting ``legal_holds``, the audit kinds
  ``retention_legal_hold_on``/``_off``): audit events are hash-chained and cannot be renamed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import ValidationError as SchemaError

from dsar.datamap.model import DataMap, Duration, RetentionRule
from dsar.datamap.schema import parse_duration
from dsar.errors import ConfigurationError, ValidationError
from dsar.models import Tenant
from dsar.services import audit
from dsar.services.datamaps import tenant_datamap

OVERRIDES = "retention_overrides"
RETENTION_HOLDS = "legal_holds"  # the stored setting's name (see above)
#: Reference days over which two periods are compared: four years hold every month length
#: and a leap day, so "12 months" and "365 days" compare the way a calendar does.
_REFERENCE_DAYS = [date(2024, 1, 1) + timedelta(days=n) for n in range(4 * 365 + 1)]


@dataclass(frozen=True)
class EffectiveRule:
    """One retention rule of the data map as it applies to one tenant."""

    source: str
    table: str
    rule: RetentionRule
    period: Duration  # the map's, or the tenant's shorter override
    overridden: bool = False

    @property
    def label(self) -> str:
        """How the rule is named in run records: ``app.messages: delete after 12 months``."""
        action = self.rule.action
        if action == "anonymize_ip":
            action = f"anonymize_ip {self.rule.column} (level {self.rule.level})"
        elif action == "anonymize":
            action = "anonymize " + ", ".join(name for name, _ in self.rule.columns)
        return f"{self.source}.{self.table}: {action} after {self.period}"

    def cutoff(self, now: datetime) -> datetime:
        """Rows whose timestamp is older than this (strictly) are past their period."""
        return self.period.before(now)


@dataclass(frozen=True)
class RetentionHold:
    """Rows of ``source.table`` whose ``column`` equals ``value``, kept out of retention."""

    source: str
    table: str
    column: str
    value: Any
    reason: str


def not_longer(period: Duration, limit: Duration) -> bool:
    """Whether ``period`` ends no later than ``limit`` whatever day it starts on."""
    return all(period.after(day) <= limit.after(day) for day in _REFERENCE_DAYS)


def effective_rules(datamap: DataMap, overrides: dict[str, str], now: datetime,
                    actions: tuple[str, ...]) -> list[EffectiveRule]:
    """The map's rules of the given ``actions``, each shortened by the tenant's override."""
    rules = []
    for source in datamap.sources:
        for table in source.tables:
            override = _parsed_override(overrides, f"{source.name}.{table.name}")
            for rule in table.retention:
                if rule.action not in actions:
                    continue
                shorter = override is not None and override.before(now) > rule.after.before(now)
                rules.append(EffectiveRule(source.name, table.name, rule,
                                           override if shorter else rule.after, shorter))
    return rules


def _parsed_override(overrides: dict[str, str], key: str) -> Duration | None:
    if key not in overrides:
        return None
    try:
        return parse_duration(overrides[key])
    except SchemaError:
        raise ConfigurationError(f"retention override {key}: {overrides[key]!r} is not a period "
                                 '(use e.g. "30 days", "6 months")', details={"override": key}) from None


def set_retention_override(tenant: Tenant, key: str, period: str | None, *, actor: str = "cli") -> None:
    """Shorten the retention of table ``key`` ("source.table") for ``tenant`` (None removes it).

    Raises ValidationError for an unknown table, an unreadable period, or a period longer
    than every retention period the data map gives that table: an override never keeps
    data longer than the map promises. The caller commits.
    """
    overrides = dict(tenant.setting(OVERRIDES) or {})
    if period is None:
        overrides.pop(key, None)
    else:
        table_periods = _map_periods(tenant, key)
        try:
            wanted = parse_duration(period)
        except SchemaError:
            raise ValidationError(f'{period!r} is not a period (use e.g. "30 days", "6 months", "1 year")',
                                  details={"field": "period"}) from None
        longest = max(table_periods, key=lambda p: p.after(date(2024, 1, 1)))
        if not not_longer(wanted, longest):
            raise ValidationError(
                f"retention override for {key} refused: {wanted} is longer than the data map's "
                f"{longest}; an override may only shorten a retention period", details={"field": "period"})
        overrides[key] = str(wanted)
    tenant.settings = {**(tenant.settings or {}), OVERRIDES: overrides}
    audit.record(tenant.id, "retention_override", actor, payload={"table": key, "period": overrides.get(key)})


def _map_periods(tenant: Tenant, key: str) -> list[Duration]:
    datamap = tenant_datamap(tenant)
    if datamap is None:
        raise ValidationError(f"tenant {tenant.slug} has no data map: there is no retention to override",
                              details={"field": "table"})
    source_name, _, table_name = key.partition(".")
    try:
        table = datamap.source(source_name).table(table_name)
    except KeyError:
        raise ValidationError(f"{key!r} is not a table of the data map (use source.table, e.g. app.messages)",
                              details={"field": "table"}) from None
    if not table.retention:
        raise ValidationError(f"{key} has no retention rule in the data map to shorten",
                              details={"field": "table"})
    return [rule.after for rule in table.retention]


def retention_holds(tenant: Tenant) -> list[RetentionHold]:
    """The tenant's retention holds on its own databases' rows."""
    holds = []
    for entry in (tenant.settings or {}).get(RETENTION_HOLDS, []):
        source, _, table = entry["table"].partition(".")
        holds.append(RetentionHold(source, table, entry["column"], entry["value"], entry.get("reason", "")))
    return holds


def add_retention_hold(tenant: Tenant, table: str, column: str, value: Any, reason: str, *, actor: str = "cli") -> None:
    """Keep the rows of ``table`` whose ``column`` equals ``value`` (and rows linked to them)
    out of retention until the hold is removed. The caller commits."""
    if not reason.strip():
        raise ValidationError("a legal hold needs a reason", details={"field": "reason"})
    datamap = tenant_datamap(tenant)
    source_name, _, table_name = table.partition(".")
    try:
        datamap.source(source_name).table(table_name)  # type: ignore[union-attr]
    except (KeyError, AttributeError):
        raise ValidationError(f"{table!r} is not a table of the tenant's data map", details={"field": "table"}) from None
    entries = list((tenant.settings or {}).get(RETENTION_HOLDS, []))
    entries.append({"table": table, "column": column, "value": value, "reason": reason.strip()})
    tenant.settings = {**(tenant.settings or {}), RETENTION_HOLDS: entries}
    audit.record(tenant.id, "retention_legal_hold_on", actor, reason=reason.strip(),
                 payload={"table": table, "column": column})


def remove_retention_hold(tenant: Tenant, table: str, column: str, value: Any, *, actor: str = "cli") -> None:
    entries = list((tenant.settings or {}).get(RETENTION_HOLDS, []))
    kept = [e for e in entries if (e["table"], e["column"], e["value"]) != (table, column, value)]
    if len(kept) == len(entries):
        raise ValidationError(f"no retention hold on {table}.{column} for that value", details={"field": "table"})
    tenant.settings = {**(tenant.settings or {}), RETENTION_HOLDS: kept}
    audit.record(tenant.id, "retention_legal_hold_off", actor, payload={"table": table, "column": column})

