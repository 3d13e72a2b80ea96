"""Crash-safe file deletions (SPEC §6 "Files"): plan, record, effect, record.

Erasure and retention decide which rows go; the files those rows name are recorded here,
in dsar's own database and in a transaction of their own, *before* the rows are deleted.
Then the rows go, then the files, and each file's entry is closed. A run killed anywhere
in between leaves entries open, and the next run of any erasure or retention of the
tenant finishes them: a file whose row is gone is never left behind. Deleting is
idempotent: a file that is already missing is noted (``missing``), not an error. When the
rows' deletion fails, the entries are cancelled and the files stay with their rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa

from dsar.datamap.model import DataMap
from dsar.errors import DsarError
from dsar.extensions import db
from dsar.files.stores import DELETE_BATCH, FileStore, UnsafeKey, open_stores, safe_key
from dsar.models import FileDeletion, utcnow

_journal = FileDeletion.__table__


@dataclass
class FilesDone:
    """What finishing the journal did: files deleted, already missing, and problems."""

    deleted: int = 0
    missing: int = 0
    errors: list[str] = field(default_factory=list)


class FileJournal:
    """The file-deletion journal of one tenant, with the stores of its data map."""

    def __init__(self, tenant_id: int, datamap: DataMap, *, origin: str):
        self.tenant_id = tenant_id
        self.datamap = datamap
        self.origin = origin[:200]

    @cached_property
    def stores(self) -> dict[str, FileStore]:
        return open_stores(self.datamap.stores)

    def record(self, files: Sequence[tuple[str, str]]) -> list[int]:
        """Record (store, key) pairs to delete, committed at once; returns their ids."""
        files = [(store, key) for store, key in files if _safe(key)]  # never a path outside the store
        if not files:
            return []
        now = utcnow()
        rows = [{"tenant_id": self.tenant_id, "store": store, "key": key, "origin": self.origin,
                 "recorded_at": now} for store, key in dict.fromkeys(files)]
        ids: list[int] = []
        with db.engine.begin() as connection:  # its own short transaction: durable before the rows go
            for start in range(0, len(rows), DELETE_BATCH):
                ids += connection.execute(sa.insert(_journal).returning(_journal.c.id),
                                          rows[start:start + DELETE_BATCH]).scalars().all()
        return ids

    def cancel(self, ids: Sequence[int]) -> None:
        """The rows were not deleted after all: their files stay."""
        with db.engine.begin() as connection:
            for start in range(0, len(ids), DELETE_BATCH):
                connection.execute(sa.update(_journal).where(_journal.c.id.in_(ids[start:start + DELETE_BATCH]),
                                                             _journal.c.done_at.is_(None))
                                   .values(done_at=utcnow(), outcome="cancelled"))

    def pending(self) -> int:
        with db.engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).where(
                _journal.c.tenant_id == self.tenant_id, _journal.c.done_at.is_(None))).scalar_one()

    def finish(self) -> FilesDone:
        """Delete every open entry's file of the tenant (this run's and any earlier one's),
        a batch per store call, closing each batch's entries as it goes."""
        done = FilesDone()
        unknown = set()
        listed: dict[str, dict[str, set[str]]] = {}  # per store: folder listings, kept across batches
        last = 0
        while True:
            with db.engine.connect() as connection:
                batch = connection.execute(
                    sa.select(_journal.c.id, _journal.c.store, _journal.c.key)
                    .where(_journal.c.tenant_id == self.tenant_id, _journal.c.done_at.is_(None),
                           _journal.c.id > last)
                    .order_by(_journal.c.id).limit(DELETE_BATCH)).all()
            if not batch:
                return done
            last = batch[-1].id
            by_store: dict[str, list] = {}
            for row in batch:
                by_store.setdefault(row.store, []).append(row)
            for name, rows in by_store.items():
                store = self.stores.get(name)
                if store is None:
                    if name not in unknown:
                        unknown.add(name)
                        done.errors.append(f'file store "{name}" is no longer in the data map: its files wait '
                                           "to be deleted")
                    continue
                try:
                    outcome = store.delete([row.key for row in rows], listed=listed.setdefault(name, {}))
                except DsarError as error:
                    done.errors.append(error.message)
                    continue
                missing = set(outcome.missing)
                self._close([r.id for r in rows if r.key not in missing], "deleted")
                self._close([r.id for r in rows if r.key in missing], "missing")
                done.deleted += len(outcome.deleted)
                done.missing += len(missing)

    def _close(self, ids: list[int], outcome: str) -> None:
        if ids:
            with db.engine.begin() as connection:
                connection.execute(sa.update(_journal).where(_journal.c.id.in_(ids))
                                   .values(done_at=utcnow(), outcome=outcome))


def _safe(key: str) -> bool:
    try:
        safe_key(key)
    except UnsafeKey:
        return False
    return True
