"""Retention deletes a file with its expired row (SPEC §6 "Files", §7): journalled first,
finished by the next run if the run is killed, counted by a dry run; on both databases and
both kinds of store."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dsar.files.deletions import FileJournal
from dsar.files.stores import FileStore
from dsar.jobs.registry import JobContext
from dsar.retention.enforcement import enforce
from dsar.retention.overrides import effective_rules
from tests.factories import make_tenant
from tests.files.media_app import create_media_app

NOW = datetime(2026, 11, 18, 10, tzinfo=timezone.utc)


@pytest.fixture
def media(app, customer_url, file_store):
    return create_media_app(customer_url, file_store)


@pytest.fixture
def journal(app, media):
    return FileJournal(make_tenant("acme").id, media.datamap, origin="retention")


def _run(media, journal, *, dry_run=False, batch_size=100) -> JobContext:
    ctx = JobContext(now=NOW, dry_run=dry_run)
    rules = effective_rules(media.datamap, {}, NOW, ("delete",))
    enforce(ctx, media.datamap, rules, hash_key=b"k" * 32, batch_size=batch_size, files=journal)
    return ctx


def _old(media) -> set[str]:
    return set().union(*(subject.old_recordings for subject in media.subjects))


def test_retention_deletes_the_files_of_expired_rows_only(media, journal):
    before = media.present()
    ctx = _run(media, journal)
    assert before - media.present() == _old(media)
    label = next(name for name in ctx.stats if name.endswith(": files"))
    assert ctx.stats[label] == len(_old(media)) and not ctx.errors
    assert journal.pending() == 0


def test_a_dry_run_counts_the_files_and_deletes_none(media, journal):
    before = media.present()
    ctx = _run(media, journal, dry_run=True)
    assert media.present() == before
    assert [count for name, count in ctx.stats.items() if name.endswith(": files")] == [len(_old(media))]


def test_a_retention_run_killed_while_deleting_files_is_finished_by_the_next(media, journal, monkeypatch):
    real_delete = FileStore.delete

    def killed(store, keys, **kwargs):
        raise KeyboardInterrupt("killed after the rows' commit")

    monkeypatch.setattr(FileStore, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        _run(media, journal, batch_size=1)
    assert journal.pending() >= 1 and _old(media) & media.present()
    monkeypatch.setattr(FileStore, "delete", real_delete)
    ctx = _run(media, journal, batch_size=1)
    assert not (_old(media) & media.present())
    assert ctx.stats.get("files left by an earlier run", 0) >= 1
    assert journal.pending() == 0
    assert all(subject.files - subject.old_recordings <= media.present() for subject in media.subjects)


def test_a_real_run_without_the_journal_is_an_error_not_silence(media):
    ctx = JobContext(now=NOW)
    enforce(ctx, media.datamap, effective_rules(media.datamap, {}, NOW, ("delete",)), hash_key=b"k" * 32,
            batch_size=100)
    assert any("file journal" in error for error in ctx.errors)
    assert _old(media) <= media.present()
