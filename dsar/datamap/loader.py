"""Read a data-map YAML file into a validated :class:`~dsar.datamap.model.DataMap`.

Every problem is reported with the file, line and key path, e.g.
``acme.yml:14: sources[0].tables[2].retention.after: "12 monts" is not a duration …``,
and all problems are collected before raising, so a DPO fixes the file in one pass.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from marshmallow import ValidationError as SchemaError

from dsar.datamap.graph import find_cycle, reachable
from dsar.datamap.model import IDENTITY_TYPES, DataMap
from dsar.datamap.schema import DataMapSchema, suggest
from dsar.datamap.transparency import transparency_issues
from dsar.errors import ValidationError

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# marshmallow's stock wording, rephrased for someone editing YAML.
_PLAIN_WORDS = {
    "Missing data for required field.": "is required",
    "Invalid input type.": "must be a mapping (key: value)",
    "Not a valid string.": "must be text",
    "Not a valid list.": "must be a list",
    "Not a valid boolean.": "must be true or false",
    "Not a valid integer.": "must be a whole number",
    "Field may not be null.": "must not be empty",
    "Shorter than minimum length 1.": "must not be empty",
    "Not a valid mapping type.": "must be a mapping (key: value)",
}

PathKey = tuple  # ("sources", 0, "tables", 2, "name")


@dataclass(frozen=True)
class DataMapIssue:
    """One problem in a data-map file, located by line and key path."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}: {where}{self.message}"


class DataMapError(ValidationError):
    """The data map is invalid; ``issues`` lists every problem found, in file order."""

    code = "invalid_datamap"

    def __init__(self, issues: list[DataMapIssue]):
        self.issues = sorted(issues, key=lambda issue: issue.line)
        super().__init__("\n".join(map(str, self.issues)),
                         details={"errors": [str(issue) for issue in self.issues]})


def load_datamap(path: str | os.PathLike, *, env: Mapping[str, str] | None = None) -> DataMap:
    """Load and validate the data map at ``path``; raise DataMapError listing all problems."""
    name = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DataMapError([DataMapIssue(name, 1, "", f"cannot read the file ({error.strerror or error})")]) from None
    return parse_datamap(text, name=name, env=env)


def parse_datamap(text: str, *, name: str = "<data map>", env: Mapping[str, str] | None = None) -> DataMap:
    """Validate data-map YAML ``text``; ``name`` is the file name used in error messages."""
    document = _Document(name, os.environ if env is None else env)
    raw = document.parse(text)
    try:
        datamap = DataMapSchema().load(raw)
    except SchemaError as error:
        datamap = None
        document.add_schema_errors(error.messages)
    for path, message in structure_issues(raw) + transparency_issues(raw):
        document.add(path, message)
    if document.issues:
        raise DataMapError(document.issues)
    return replace(datamap, path=name)


def format_path(path: PathKey) -> str:
    """``("sources", 0, "url")`` → ``sources[0].url``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Document:
    """Turns YAML into plain Python, remembering the line of every key path."""

    def __init__(self, name: str, env: Mapping[str, str]):
        self.name = name
        self.env = env
        self.lines: dict[PathKey, int] = {}
        self.issues: list[DataMapIssue] = []
        self.env_failed: set[PathKey] = set()
        self._constructor = yaml.SafeLoader("")

    def add(self, path: PathKey, message: str) -> None:
        self.issues.append(DataMapIssue(self.name, self.line_for(path), format_path(path), message))

    def line_for(self, path: PathKey) -> int:
        while path and path not in self.lines:  # a missing key: point at its parent
            path = path[:-1]
        return self.lines.get(path, 1)

    def parse(self, text: str):
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else 1
            reason = " ".join(part for part in (error.problem, error.context) if part)
            self.issues.append(DataMapIssue(self.name, line, "", f"YAML syntax error: {reason}"))
            raise DataMapError(self.issues) from None
        except yaml.YAMLError as error:
            raise DataMapError([DataMapIssue(self.name, 1, "", f"YAML error: {error}")]) from None
        if not isinstance(root, yaml.MappingNode):
            line = root.start_mark.line + 1 if root is not None else 1
            self.issues.append(DataMapIssue(
                self.name, line, "", "the data map must be a mapping with the keys tenant and sources"))
            raise DataMapError(self.issues)
        return self._convert(root, ())

    def _convert(self, node: yaml.Node, path: PathKey):
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(item, path + (index,)) for index, item in enumerate(node.value)]
        value = self._constructor.construct_object(node, deep=True)
        return self._interpolate(value, path) if isinstance(value, str) else value

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict:
        self._constructor.flatten_mapping(node)  # honour YAML merge keys (<<: *defaults)
        result: dict = {}
        for key_node, value_node in node.value:
            key = self._constructor.construct_object(key_node, deep=True)
            key = key if isinstance(key, (str, int)) else str(key)
            child = path + (key,)
            if key in result:
                self.lines[child] = key_node.start_mark.line + 1
                self.add(child, f'duplicate key "{key}"')
                continue
            # The key's line, not the value's: for a nested block the value starts below it.
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self._convert(value_node, child)
        return result

    def _interpolate(self, value: str, path: PathKey) -> str:
        def replace(match: re.Match) -> str:
            variable, default = match.group(1), match.group(2)
            if variable in self.env:
                return self.env[variable]
            if default is not None:
                return default
            self.env_failed.add(path)
            self.add(path, f"environment variable {variable} is not set")
            return ""

        return _ENV.sub(replace, value)

    def add_schema_errors(self, messages, path: PathKey = ()) -> None:
        """Flatten marshmallow's nested error dict into located issues."""
        if isinstance(messages, dict):
            for key, nested in messages.items():
                # marshmallow files a mapping's errors under "key" and "value": not YAML keys.
                transparent = key == "_schema" or (path[:1] in (("identities",), ("purposes",), ("recipients",))
                                                   and len(path) == 2 and key in ("key", "value"))
                self.add_schema_errors(nested, path if transparent else path + (key,))
            return
        for message in messages if isinstance(messages, list) else [messages]:
            if isinstance(message, (dict, list)):
                self.add_schema_errors(message, path)
            elif path not in self.env_failed:  # already reported as the missing variable
                self.add(path, _PLAIN_WORDS.get(message, message))


def structure_issues(raw) -> list[tuple[PathKey, str]]:
    """Problems across tables the schema cannot see: links, cycles, reachability, names."""
    sources = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(sources, list):
        return []
    issues = _duplicate_names(sources, ("sources",), "source")
    stores = raw.get("stores") if isinstance(raw.get("stores"), list) else []
    issues += _duplicate_names(stores, ("stores",), "store")
    store_names = [s["name"] for s in stores if isinstance(s, dict) and isinstance(s.get("name"), str)]
    declared = raw.get("identities")
    kinds = (*IDENTITY_TYPES, *(declared if isinstance(declared, dict) else ()))
    for index, source in enumerate(sources):
        if isinstance(source, dict) and isinstance(source.get("tables"), list):
            issues += _source_issues(source, ("sources", index))
            issues += _identity_kind_issues(source, ("sources", index), kinds)
            issues += _file_store_issues(source, ("sources", index), store_names)
    return issues


def _file_store_issues(source: dict, path: PathKey, stores: list[str]) -> list[tuple[PathKey, str]]:
    """Each ``files:`` column names a store declared under ``stores:`` at the top level."""
    issues = []
    for index, table in enumerate(source["tables"]):
        files = table.get("files") if isinstance(table, dict) else None
        for column, store in files.items() if isinstance(files, dict) else ():
            if isinstance(store, str) and store not in stores:
                known = f'stores of this map: {", ".join(stores)}' if stores else "this map declares no stores"
                issues.append((path + ("tables", index, "files", column),
                               f'"{store}" is not a store{suggest(store, stores)} ({known}; declare it under '
                               "stores: at the top of the file)"))
    return issues


def _identity_kind_issues(source: dict, path: PathKey, kinds: tuple[str, ...]) -> list[tuple[PathKey, str]]:
    """An identity kind must be built in or declared at the top level (``identities:``)."""
    issues = []
    for index, table in enumerate(source["tables"]):
        identity = table.get("identity") if isinstance(table, dict) else None
        for kind in identity if isinstance(identity, dict) else ():
            if kind not in kinds:
                issues.append((path + ("tables", index, "identity", kind),
                               f'"{kind}" is not an identity kind{suggest(str(kind), kinds)}: use one of '
                               f'{", ".join(kinds)}, or declare it under identities: at the top of the file '
                               f'({kind}: {{label: "..."}})'))
    return issues


def _duplicate_names(items: list, path: PathKey, what: str) -> list[tuple[PathKey, str]]:
    seen: set[str] = set()
    issues = []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str):
            if name in seen:
                issues.append((path + (index, "name"), f'{what} "{name}" is defined twice'))
            seen.add(name)
    return issues


def _source_issues(source: dict, path: PathKey) -> list[tuple[PathKey, str]]:
    tables: dict[str, tuple[int, dict]] = {}
    for index, table in enumerate(source["tables"]):
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            tables.setdefault(table["name"], (index, table))  # a duplicate is reported once, below
    issues = _duplicate_names(source["tables"], path + ("tables",), "table")
    parents: dict[str, list[str]] = {}
    for name, (index, table) in tables.items():
        parents[name] = []
        for column, target in _links(table):
            link_path = path + ("tables", index, "link", column)
            if target == name:
                issues.append((link_path, f"links {name} to itself, which reaches nobody new"))
                continue
            if target not in tables:
                hint = suggest(target, tables) or f' (tables of this source: {", ".join(tables)})'
                issues.append((link_path, f'links to table "{target}", which is not in source '
                                          f'"{source.get("name")}"{hint}'))
            else:
                parents[name].append(target)
    issues += _graph_issues(tables, parents, path)
    issues += _shared_reach_issues(tables, parents, path)
    for name, (index, table) in tables.items():
        issues += _participation_issues(name, table, path + ("tables", index))
    return issues


def _participation_issues(name: str, table: dict, path: PathKey) -> list[tuple[PathKey, str]]:
    """A table requests reach needs a primary key; one they don't cannot have an erasure."""
    key = table.get("primary_key")
    if isinstance(key, list) and len(key) > 1 and table.get("retention"):
        return [(path + ("primary_key",), "retention works through the table in batches by one key column: "
                                          "a table with retention rules needs a one-column primary_key "
                                          "(or a unique column)")]
    if table.get("identity") or table.get("link"):
        if "primary_key" not in table:
            return [(path + ("primary_key",), "is required for a table that requests reach "
                                              "(it has an identity or a link)")]
        return []
    return [(path + (key,), f"applies only to tables that requests reach: give {name} an identity or a link")
            for key in ("erasure", "provided_by_subject", "shared", "files") if key in table]


def _links(table: dict) -> list[tuple[str, str]]:
    """(column, target table) of every link target of ``table``, lists unfolded."""
    link = table.get("link")
    if not isinstance(link, dict):
        return []
    found = []
    for column, targets in link.items():
        for target in targets if isinstance(targets, list) else [targets]:
            if isinstance(target, str) and target.count(".") in (1, 2):
                found.append((column, target.rsplit(".", 1)[0]))
    return found


def _shared_reach_issues(tables: dict, parents: dict[str, list[str]], path: PathKey) -> list[tuple[PathKey, str]]:
    """A shared table's rows belong to several people: reaching further tables through them
    would hand one subject the rows of everyone who shares the address or product."""
    issues = []
    for name, linked in parents.items():
        through = [parent for parent in linked if tables[parent][1].get("shared") is True]
        if through:
            issues.append((path + ("tables", tables[name][0], "link"),
                           f"{name} is reached through shared table {', '.join(through)}: its rows belong to "
                           "several people, so this would reach other people's rows; link "
                           f"{name} to a table of the subject instead (the link may be declared on "
                           f"{', '.join(through)}, pointing at {name})"))
    return issues


def _graph_issues(tables: dict, parents: dict[str, list[str]], path: PathKey) -> list[tuple[PathKey, str]]:
    def link_path(name: str) -> PathKey:
        return path + ("tables", tables[name][0], "link")

    cycle = find_cycle(parents)
    if cycle:
        return [(link_path(cycle[0]), "link cycle: " + " → ".join(cycle))]
    roots = [name for name, (_, table) in tables.items() if table.get("identity")]
    found = reachable(parents, roots)
    issues = [(link_path(name), f"{name} is not reachable from any table with an identity: "
                                "give one of the tables it links to an identity")
              for name, linked in parents.items() if linked and name not in found]
    # A link reaches the declaring table *through* the other one: pointing at a table that
    # requests never reach finds nothing (and was a 500 at fulfilment before).
    for name, linked in parents.items():
        if name not in found:
            continue
        for parent in dict.fromkeys(linked):
            if parent not in found:
                issues.append((link_path(name), f"links to {parent}, which requests do not reach, so this link "
                                                f"finds nothing; to reach {parent} through {name}, declare the "
                                                f"link on {parent} instead ({parent}: link: {{column: "
                                                f"{name}.column}})"))
    return issues
