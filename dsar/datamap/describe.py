"""Data-map rules in plain words, for ``dsar datamap check`` and the Art. 15 cover letter."""
from __future__ import annotations

import datetime as dt

from dsar.datamap.model import Anonymize, ColumnStrategy, Erasure, Retain, RetentionRule, Table


def describe_strategies(columns: tuple[tuple[str, ColumnStrategy], ...]) -> str:
    """``ip: IP address masked (level 3), user_agent: emptied``."""
    return ", ".join(f"{name}: {strategy}" for name, strategy in columns)


def describe_retention(rule: RetentionRule) -> str:
    """``rows older than 12 months by created_at are deleted``."""
    age = f"older than {rule.after} by {rule.from_column}"
    if rule.action == "delete":
        return f"rows {age} are deleted"
    if rule.action == "anonymize_ip":
        return f"IP addresses in {rule.column} of rows {age} are masked (level {rule.level})"
    return f"rows {age} are anonymized ({describe_strategies(rule.columns)})"


def describe_erasure(strategy: Erasure | None) -> str | None:
    """What an erasure request does to the table, e.g. ``kept on erasure for 7 years …``."""
    if strategy is None:
        return None
    if isinstance(strategy, Retain):
        if isinstance(strategy.until, dt.date):
            period = f" until {strategy.until.isoformat()}"
        elif strategy.until is not None:
            period = f" for {strategy.until} from " + (strategy.from_column or "the erasure")
        else:
            period = ""
        return f"kept on erasure{period} — {strategy.basis}"
    if isinstance(strategy, Anonymize):
        return f"anonymized on erasure ({describe_strategies(strategy.columns)})"
    return "deleted on erasure"


def table_rules(table: Table) -> list[str]:
    """Every rule of ``table`` as a sentence starting with the table name."""
    rules = [f"{table.name}: {describe_retention(rule)}" for rule in table.retention]
    erasure = describe_erasure(table.erasure_strategy)
    if erasure:
        rules.append(f"{table.name}: {erasure}")
    return rules
