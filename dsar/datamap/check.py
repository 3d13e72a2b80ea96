"""``dsar datamap check``: validate a data map, explain it, and compare it with the databases.

The report says how each table is reached, every rule in plain words, and — unless offline
— where the live schema disagrees with the map (a missing table or column is an error) or
would make requests and purges slow (an identity, link or retention column without an
index means a full scan of the table each time).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from dsar.datamap.describe import table_rules
from dsar.datamap.graph import describe_reach
from dsar.datamap.loader import DataMapError, load_datamap
from dsar.datamap.model import Anonymize, DataMap, Retain, Source, Table
from dsar.datamap.sources import connect, driver_reason, quiet_reflection
from dsar.errors import SourceUnavailable

_LOWER = re.compile(r"^\s*lower\s*\(\s*[\"`\[]?(\w+)", re.IGNORECASE)
_SQLITE_INDEX_ON = re.compile(r"\bON\b[^(]*\((.*)\)\s*(WHERE\b.*)?$", re.IGNORECASE | re.DOTALL)


@dataclass
class CheckReport:
    """The outcome of checking one data-map file; ``ok`` when there are no errors."""

    path: str
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def render(self) -> str:
        text = list(self.lines)
        for title, items in (("warnings", self.warnings), ("errors", self.errors)):
            if items:
                text += ["", f"{title}:"] + [f"  {item}" for item in items]
        verdict = "OK" if self.ok else f"FAILED: {len(self.errors)} error(s)"
        text += ["", f"{verdict}, {len(self.warnings)} warning(s)"]
        return "\n".join(text).strip("\n") + "\n"


def check_datamap(path: str | os.PathLike, *, offline: bool = False,
                  env: Mapping[str, str] | None = None) -> CheckReport:
    """Validate the data map at ``path`` and, unless ``offline``, inspect its sources.

    Never raises for a problem with the map or a database: every problem is a report line.
    """
    report = CheckReport(os.fspath(path))
    try:
        datamap = load_datamap(path, env=env)
    except DataMapError as error:
        report.errors += [str(issue) for issue in error.issues]
        return report
    report.lines += describe_datamap(datamap)
    for source in datamap.sources:
        report.warnings += static_warnings(source)
        if not offline:
            _inspect(source, report)
    return report


def describe_datamap(datamap: DataMap) -> list[str]:
    """The map in plain words: sources, how each table is reached, every rule."""
    lines = [f"{datamap.path}: data map of tenant \"{datamap.tenant}\""]
    for source in datamap.sources:
        scope = f", only rows where {source.scope.column} = {source.scope.value!r}" if source.scope else ""
        lines += ["", f"source {source.name} ({source.safe_url}){scope}"]
        if source.recipients:
            lines.append(f"  recipients (Art. 19): {', '.join(source.recipients)}")
        width = max(len(table.name) for table in source.tables)
        lines.append("  how each table is reached:")
        lines += [f"    {t.name.ljust(width)}  {describe_reach(source, t.name)}" for t in source.tables]
        lines.append("  rules:")
        lines += [f"    {rule}" for table in source.tables for rule in table_rules(table)]
    return lines


def static_warnings(source: Source) -> list[str]:
    """Warnings visible from the map alone."""
    warnings = []
    for table in source.tables:
        if (table.categories or table.takes_part) and not table.retention:
            warnings.append(f"{source.name}.{table.name}: holds personal data but has no retention rule; "
                            "it is kept until an erasure request")
    return warnings


def mapped_columns(source: Source, table: Table) -> list[tuple[str, str]]:
    """(column, what the map uses it for) for every column ``table`` names."""
    used = [(table.primary_key, "primary_key")] if table.primary_key else []
    used += [(col, f"identity {kind}") for kind, col in table.identity]
    used += [(link.column, "link") for link in table.links]
    used += [(col, "category") for col, _ in table.categories]
    strategy = table.erasure
    if isinstance(strategy, Anonymize):
        used += [(col, "erasure") for col, _ in strategy.columns]
    if isinstance(strategy, Retain) and strategy.from_column:
        used.append((strategy.from_column, "erasure retain from"))
    for rule in table.retention:
        used.append((rule.from_column, "retention from"))
        used += [(rule.column, "retention")] if rule.column else []
        used += [(col, "retention") for col, _ in rule.columns]
    if source.scope and table.identity:
        used.append((source.scope.column, "scope"))
    return used


def _inspect(source: Source, report: CheckReport) -> None:
    try:
        with connect(source) as connection, quiet_reflection():
            inspector = sa.inspect(connection)
            schema = {t.name: _columns(inspector, t.name) for t in source.tables}
            for table in source.tables:
                if schema[table.name] is None:
                    report.errors.append(f'{source.name}.{table.name}: table "{table.name}" does not exist')
                    continue
                _check_table(source, table, schema, _IndexedColumns(inspector, connection, table.name), report)
    except SourceUnavailable as error:
        report.errors.append(error.message)
    except sa.exc.DBAPIError as error:  # e.g. no permission to read the catalogue
        report.errors.append(f'source "{source.name}" could not be inspected: {driver_reason(source, error)}')


def _columns(inspector, name: str) -> dict[str, dict] | None:
    if not inspector.has_table(name):
        return None
    return {column["name"]: column for column in inspector.get_columns(name)}


def _check_table(source: Source, table: Table, schema: dict, indexed: "_IndexedColumns",
                 report: CheckReport) -> None:
    columns = schema[table.name]
    where = f"{source.name}.{table.name}"
    for name, role in dict.fromkeys(mapped_columns(source, table)):
        if name not in columns:
            if role == "scope":
                report.warnings.append(f"{where}: has no {name} column, so the source's scope does not "
                                       "apply: rows of other businesses with the same identity would match")
            else:
                report.errors.append(f'{where}.{name}: column does not exist (used as {role})')
    for link in table.links:
        target = schema.get(link.table)
        if target is not None and link.target_column not in target:
            report.errors.append(f"{where}.{link.column}: links to {link.table}.{link.target_column}, "
                                 "which does not exist")
    for name, role in _needs_index(table):
        if name in columns:
            problem = indexed.problem(name, lowered=role == "identity email")
            if problem:
                report.warnings.append(f"{where}.{name}: {problem} (used as {role}; each "
                                       f"{'purge' if role.startswith('retention') else 'request'} "
                                       "scans the table)")
    if isinstance(table.erasure, Anonymize):
        for name, strategy in table.erasure.columns:
            if strategy.kind == "null" and name in columns and not columns[name]["nullable"]:
                report.errors.append(f"{where}.{name}: is NOT NULL, so erasure cannot empty it "
                                     "(use redact or hash)")


def _needs_index(table: Table) -> list[tuple[str, str]]:
    needs = [(col, f"identity {kind}") for kind, col in table.identity]
    needs += [(link.column, "link") for link in table.links]
    needs += [(rule.from_column, "retention from") for rule in table.retention]
    return list(dict.fromkeys(needs))


class _IndexedColumns:
    """Which columns of a live table lead an index (a PK or unique constraint counts)."""

    def __init__(self, inspector, connection: sa.Connection, name: str):
        self.plain: set[str] = set()
        self.lowered: set[str] = set()
        self.plain.update(inspector.get_pk_constraint(name).get("constrained_columns", [])[:1])
        for unique in inspector.get_unique_constraints(name):
            self.plain.update(unique["column_names"][:1])
        for index in inspector.get_indexes(name):
            self._add(index.get("column_names") or [None], index.get("expressions") or [])
        if connection.dialect.name == "sqlite":
            self._sqlite_expressions(connection, name)

    def _add(self, names: list, expressions: list) -> None:
        if names[0]:
            self.plain.add(names[0])
        elif expressions and (match := _LOWER.match(expressions[0])):
            self.lowered.add(match.group(1))

    def _sqlite_expressions(self, connection: sa.Connection, name: str) -> None:
        # SQLAlchemy skips SQLite expression indexes when reflecting; read their SQL.
        rows = connection.execute(sa.text(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
            {"t": name})
        for (sql,) in rows:
            match = _SQLITE_INDEX_ON.search(sql)
            if match and (lowered := _LOWER.match(match.group(1))):
                self.lowered.add(lowered.group(1))

    def problem(self, name: str, *, lowered: bool) -> str | None:
        """None when lookups on ``name`` can use an index, else what is missing."""
        if lowered:
            if name in self.lowered:
                return None
            if name in self.plain:
                return f"e-mail lookups compare lower({name}), which its index cannot serve: index lower({name})"
            return f"no index on lower({name})"
        return None if name in self.plain else "no index"
