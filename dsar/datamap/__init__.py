"""The data map (SPEC §5): where a tenant's personal data lives and what happens to it.

``load_datamap(path)`` gives a validated :class:`DataMap` or raises :class:`DataMapError`
listing every problem with its line; ``check_datamap`` explains a map and compares it
with the live databases.
"""
from dsar.datamap.loader import DataMapError, DataMapIssue, load_datamap, parse_datamap
from dsar.datamap.model import DataMap, Source, Table

__all__ = ["DataMap", "DataMapError", "DataMapIssue", "Source", "Table", "load_datamap", "parse_datamap"]
