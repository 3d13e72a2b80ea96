"""The subject's files for an access answer: found through the data map's ``files:``
columns on the subject's rows, streamed from their stores into the export ZIP."""
from __future__ import annotations

from collections.abc import Iterator

from dsar.datamap.model import DataMap
from dsar.files.stores import open_stores
from dsar.fulfilment.discovery import Identifiers, iter_file_keys
from dsar.fulfilment.export_zip import StoredFile


def subject_files(datamap: DataMap, identifiers: Identifiers, *, only_provided: bool = False) -> Iterator[StoredFile]:
    """Every file the subject's rows name (of ``provided_by_subject`` tables only, for
    portability), lazily: a store is opened and a row read only when the ZIP reaches it."""
    if not datamap.stores:
        return
    stores = open_stores(datamap.stores)
    for source in datamap.sources:
        for table in source.tables:
            if not table.files or (only_provided and not table.provided_by_subject):
                continue
            for batch in iter_file_keys(source, table.name, identifiers):
                for store, key in batch:
                    yield StoredFile(store, key, lambda s=stores[store], k=key: s.chunks(k))
