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

from dsar.datamap.describe import describe_erasure, table_rules
from dsar.datamap.graph import describe_reach
from dsar.datamap.loader import DataMapError, load_datamap
from dsar.datamap.model import Anonymize, DataMap, Retain, Source, Table
from dsar.datamap.sources import connect, driver_reason, quiet_reflection
from dsar.datamap.transparency import transparency_lines, transparency_warnings
from dsar.errors import DsarError, SourceUnavailable
from dsar.retention.statements import ISO_DATE_GLOB, ISO_DATE_REGEX

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
    report.lines += describe_datamap(datamap) + transparency_lines(datamap)
    report.warnings += transparency_warnings(datamap)
    if not offline:
        _check_stores(datamap, report)
    for source in datamap.sources:
        report.warnings += static_warnings(source)
        if not offline:
            _inspect(source, report)
    return report


def _check_stores(datamap: DataMap, report: CheckReport) -> None:
    """Each file store must answer a listing (one line per store that does not)."""
    from dsar.files.stores import open_store  # start-up: fsspec only for a map with file stores

    for store in datamap.stores:
        try:
            open_store(store).check()
        except DsarError as error:
            report.errors.append(error.message)


def describe_datamap(datamap: DataMap) -> list[str]:
    """The map in plain words: sources, how each table is reached, every rule."""
    lines = [f"{datamap.path}: data map of tenant \"{datamap.tenant}\""]
    for store in datamap.stores:
        used = [f"{source.name}.{table.name}.{column}" for source in datamap.sources for table in source.tables
                for column, name in table.files if name == store.name]
        lines.append(f"file store {store.name} ({store.url}): keys in {', '.join(used) or 'no column'}; "
                     "a file goes with its row on erasure and retention")
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
        lines += _shape_lines(source)
    return lines


def _shape_lines(source: Source) -> list[str]:
    """Composite keys, several identity columns, shared tables and what erasure does to them."""
    lines = []
    for table in source.tables:
        if len(table.key) > 1:
            lines.append(f"    {table.name}: rows are named by the composite key ({', '.join(table.key)})")
        for kind in dict.fromkeys(kind for kind, _ in table.identity):
            columns = table.identity_columns(kind)
            if len(columns) > 1:
                lines.append(f"    {table.name}: {kind} is looked for in {' and '.join(columns)}; a row whose other "
                             f"{kind} column names someone else is kept on erasure")
        multi = {}
        for col, category in table.categories:
            multi.setdefault(col, []).append(category)
        lines += [f"    {table.name}.{col}: holds {' and '.join(cats)}" for col, cats in multi.items() if len(cats) > 1]
    shared = [t for t in source.tables if t.shared]
    if shared:
        lines.append("  shared tables (rows several people point at):")
        lines += [f"    {t.name}: {describe_erasure(t.erasure_strategy)}; a row other people's records still "
                  "point at is never changed" for t in shared]
    lines.append("  on erasure, a row that rows outside the subject's set still point at through a link is "
                 "kept unchanged and listed in the outcome")
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
    used = [(key, "primary_key") for key in table.key]
    used += [(col, f"identity {kind}") for kind, col in table.identity]
    used += [(link.column, "link") for link in table.links]
    used += [(col, "category") for col, _ in table.categories]
    used += [(col, f"files of store {store}") for col, store in table.files]
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
            schema = {t.name: _columns(inspector, t) for t in source.tables}
            for table in source.tables:
                if schema[table.name] is None:
                    report.errors.append(f'{source.name}.{table.name}: table "{table.name}" does not exist')
                    continue
                indexed = _IndexedColumns(inspector, connection, table)
                _check_table(source, table, schema, indexed, report)
                _check_cutoffs(source, table, schema[table.name], indexed, connection, report)
                _check_key(source, table, inspector, report)
                _check_link_types(source, table, schema, report)
    except SourceUnavailable as error:
        report.errors.append(error.message)
    except sa.exc.DBAPIError as error:  # e.g. no permission to read the catalogue
        report.errors.append(f'source "{source.name}" could not be inspected: {driver_reason(source, error)}')


def _columns(inspector, table: Table) -> dict[str, dict] | None:
    if not inspector.has_table(table.table_name, schema=table.schema):
        return None
    return {column["name"]: column for column in inspector.get_columns(table.table_name, schema=table.schema)}


def _check_key(source: Source, table: Table, inspector, report: CheckReport) -> None:
    """The declared key must be the primary key or a unique constraint (or unique index)."""
    if not table.key:
        return
    name, schema = table.table_name, table.schema
    uniques = [set(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or [])]
    uniques += [set(u["column_names"]) for u in inspector.get_unique_constraints(name, schema=schema)]
    uniques += [set(i["column_names"]) for i in inspector.get_indexes(name, schema=schema)
                if i.get("unique") and None not in i.get("column_names", [None])]
    if set(table.key) in uniques:
        return
    words = (f"{source.name}.{table.name}: primary_key {', '.join(table.key)} is not the table's primary key "
             "or a unique constraint")
    if table.erasure is not None or table.takes_part or table.retention:
        report.errors.append(words + ": erasure and retention name rows by it, so they could reach other "
                                     "people's rows (declare the real key, or add a unique constraint)")
    else:
        report.warnings.append(words)


def _check_link_types(source: Source, table: Table, schema: dict, report: CheckReport) -> None:
    """Linked columns of different types are compared as the column being filtered: say so."""
    mine = schema[table.name]
    for link in table.links:
        theirs = schema.get(link.table)
        if theirs is None or link.column not in mine or link.target_column not in theirs:
            continue
        a, b = mine[link.column]["type"], theirs[link.target_column]["type"]
        if _type_kind(a) != _type_kind(b):
            report.warnings.append(
                f"{source.name}.{table.name}.{link.column}: is {a} but {link.table}.{link.target_column} is {b}; "
                f"they are compared as {a} (CAST({link.table}.{link.target_column} AS {a})), and a value that "
                "cannot be cast makes fulfilment fail with an event")


def _type_kind(column_type) -> str:
    try:
        return column_type.python_type.__name__
    except NotImplementedError:
        return type(column_type).__name__


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


def _check_cutoffs(source: Source, table: Table, columns: dict, indexed: "_IndexedColumns",
                   connection: sa.Connection, report: CheckReport) -> None:
    """Per retention column: how its cutoff is compared, whether its index serves it, and
    text values that are no ISO date (retention never finds those old)."""

    where = f"{source.name}.{table.name}"
    dialect = connection.dialect.name
    for name in dict.fromkeys(rule.from_column for rule in table.retention):
        if name not in columns:
            continue
        column_type = columns[name]["type"]
        text = isinstance(column_type, sa.String) or (dialect == "sqlite" and isinstance(column_type, (sa.DateTime, sa.Date)))
        kind = "ISO text" if text else "a timestamp" if isinstance(column_type, (sa.DateTime, sa.Date)) else str(column_type)
        served = "served by its index" if name in indexed.plain else "not served by an index"
        report.lines.append(f"{where}.{name}: retention cutoff compared as {kind}, {served}")
        if not text or dialect not in ("sqlite", "postgresql"):
            continue
        col = sa.column(name)
        iso = col.op("GLOB" if dialect == "sqlite" else "~", is_comparison=True)(
            sa.literal(ISO_DATE_GLOB if dialect == "sqlite" else ISO_DATE_REGEX))
        found = sa.table(table.table_name, col, schema=table.schema)
        odd = connection.execute(sa.select(sa.func.count()).select_from(found)
                                 .where(col.is_not(None), sa.not_(iso))).scalar_one()
        connection.rollback()
        if odd:
            report.warnings.append(f"{where}.{name}: {odd:,} value(s) do not start with an ISO date (YYYY-MM-DD); "
                                   "retention never finds them old")
        report.lines.append(f"{where}.{name}: {_formats_line(connection, found, col, iso)}")


def _formats_line(connection: sa.Connection, found, col, iso) -> str:
    """Which comparison the column's ISO text needs, from the spellings its values use: one
    format compares as text (text order is time order); mixed formats (``T`` or space, a
    zone or none, fractions beside ``Z``) need instants where text order is not time order."""
    length = sa.func.length(col)
    rows = connection.execute(
        sa.select(length, sa.func.substr(col, 11, 1), sa.func.substr(col, 20, 1), sa.func.substr(col, length, 1),
                  sa.func.substr(col, length - 5, 1), sa.func.count())
        .select_from(found).where(col.is_not(None), iso).group_by(*_positions(5))).all()
    connection.rollback()
    spellings: dict[str, int] = {}
    for size, separator, dot, last, sign, count in rows:
        zone = "Z" if last == "Z" else "an offset" if size >= 25 and sign in "+-" else "no zone"
        words = ("date only" if size == 10 else f"{'T' if separator == 'T' else 'space'}, "
                 f"{'fractions' if dot == '.' else 'whole seconds'}, {zone}")
        spellings[words] = spellings.get(words, 0) + count
    if not spellings:
        return "no ISO dates to compare yet"
    zones = {words.rsplit(", ", 1)[-1] for words in spellings if words != "date only"}
    separators = {words.split(",")[0] for words in spellings if words != "date only"}
    fractions_beside_z = "Z" in zones and len({w for w in spellings if "fractions" in w}) not in (0, len(spellings))
    if len(zones) <= 1 and len(separators) <= 1 and "an offset" not in zones and not fractions_beside_z:
        return (f"values share one ISO format ({'; '.join(spellings)}): text order is time order, so comparing "
                "text is exact")
    mixed = "; ".join(f"{words}: {count:,}" for words, count in sorted(spellings.items()))
    return (f"values mix ISO formats ({mixed}): text order is not time order, so within two days of the "
            "cutoff values are compared as instants (as text further from it)")


def _positions(count: int) -> list[sa.ColumnElement]:
    """GROUP BY positions 1..count (the first columns of the select)."""
    return [sa.literal_column(str(n)) for n in range(1, count + 1)]


def _needs_index(table: Table) -> list[tuple[str, str]]:
    needs = [(col, f"identity {kind}") for kind, col in table.identity]
    needs += [(link.column, "link") for link in table.links]
    needs += [(rule.from_column, "retention from") for rule in table.retention]
    return list(dict.fromkeys(needs))


class _IndexedColumns:
    """Which columns of a live table lead an index (a PK or unique constraint counts)."""

    def __init__(self, inspector, connection: sa.Connection, table: Table):
        self.plain: set[str] = set()
        self.lowered: set[str] = set()
        name, schema = table.table_name, table.schema
        self.plain.update(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns", [])[:1])
        for unique in inspector.get_unique_constraints(name, schema=schema):
            self.plain.update(unique["column_names"][:1])
        for index in inspector.get_indexes(name, schema=schema):
            self._add(index.get("column_names") or [None], index.get("expressions") or [])
        if connection.dialect.name == "sqlite" and schema is None:
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
