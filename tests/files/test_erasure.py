"""Erasure deletes a file with its row (SPEC §6 "Files"), crash-safely: the files to delete
are journalled in dsar's database before the rows go, and a run killed half-way through
the deletions is finished by the next. On both databases and both kinds of store."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar.datamap.sources import dispose_engines
from dsar.errors import ConfigurationError
from dsar.extensions import db
from dsar.files import deletions
from dsar.files.deletions import FileJournal
from dsar.files.stores import FileStore
from dsar.fulfilment.erasure import erase_subject
from dsar.models import FileDeletion
from tests.factories import make_tenant
from tests.files.fixtures import new_store
from tests.files.media_app import create_media_app, media_metadata

NOW = datetime(2026, 11, 18, 10, tzinfo=timezone.utc)
KEY = b"k" * 32


@pytest.fixture
def media(app, customer_url, file_store):
    return create_media_app(customer_url, file_store)


@pytest.fixture
def journal(app, media):
    tenant = make_tenant("acme")
    return FileJournal(tenant.id, media.datamap, origin="erasure REQ-TEST")


def _erase(media, subject, journal, **kwargs):
    return erase_subject(media.datamap, subject.identifiers, hash_key=KEY, now=NOW, files=journal, **kwargs)


def test_erasure_deletes_the_subjects_files_with_their_rows_and_nobody_elses(media, journal):
    subject, others = media.subjects[1], [media.subjects[0], media.subjects[2]]
    before = media.present()
    outcome = _erase(media, subject, journal)
    after = media.present()
    assert before - after == subject.erased_files
    assert subject.kept_files <= after  # the retained invoice and the anonymized note keep theirs
    assert all(other.files <= after for other in others)
    assert (outcome.files.deleted, outcome.files.missing, outcome.files.errors) == (len(subject.erased_files), 0, [])
    tables = {t.table: t for t in outcome.tables}
    assert (tables["attachments"].files, tables["invoices"].files, tables["notes"].files) == (3, 0, 0)
    assert "with their 3 file(s)" in tables["attachments"].describe()
    assert journal.pending() == 0


def test_a_dry_run_counts_the_files_and_deletes_none(media, journal):
    subject = media.subjects[0]
    before = media.present()
    outcome = _erase(media, subject, journal, dry_run=True)
    assert sum(t.files for t in outcome.tables) == len(subject.erased_files)
    assert media.present() == before
    assert db.session.execute(sa.select(sa.func.count()).select_from(FileDeletion)).scalar_one() == 0


def test_a_file_already_missing_is_noted_not_an_error(media, journal):
    subject = media.subjects[0]
    gone = sorted(subject.erased_files)[0]
    media.store.delete([gone])
    outcome = _erase(media, subject, journal)
    assert (outcome.files.missing, outcome.files.errors) == (1, [])
    assert not (subject.erased_files & media.present())
    outcomes = db.session.execute(sa.select(FileDeletion.key, FileDeletion.outcome)).all()
    assert (gone, "missing") in outcomes


def test_a_run_killed_while_deleting_files_is_finished_by_the_next(media, journal, monkeypatch):
    subject = media.subjects[2]
    real_delete, calls = FileStore.delete, []

    def dies_on_second_batch(store, keys, **kwargs):
        calls.append(len(keys))
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")  # the process dies: nothing after this runs
        return real_delete(store, keys, **kwargs)

    monkeypatch.setattr(deletions, "DELETE_BATCH", 2)
    monkeypatch.setattr(FileStore, "delete", dies_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        _erase(media, subject, journal)
    left = subject.erased_files & media.present()
    assert left and left != subject.erased_files  # rows are gone, some files still there
    assert journal.pending() == len(left)
    monkeypatch.setattr(FileStore, "delete", real_delete)
    # The next run (any erasure of the tenant; the subject's rows are gone already) finishes.
    again = _erase(media, subject, FileJournal(journal.tenant_id, media.datamap, origin="erasure REQ-TEST"))
    assert again.files.deleted == len(left)
    assert not (subject.erased_files & media.present())
    assert journal.pending() == 0
    assert all(other.files <= media.present() for other in media.subjects if other is not subject)


def test_a_failed_row_deletion_cancels_the_journal_and_keeps_the_files(media, journal, monkeypatch):
    from dsar.fulfilment import erasure

    def broken(self, *args, **kwargs):
        raise ConfigurationError("cannot delete rows")

    monkeypatch.setattr(erasure._Eraser, "_delete", broken)
    subject = media.subjects[0]
    with pytest.raises(ConfigurationError):
        _erase(media, subject, journal)
    assert subject.files <= media.present()
    assert journal.pending() == 0
    assert set(db.session.execute(sa.select(FileDeletion.outcome)).scalars()) == {"cancelled"}


def test_a_real_erasure_without_the_journal_is_refused(media):
    with pytest.raises(ConfigurationError, match="file journal"):
        erase_subject(media.datamap, media.subjects[0].identifiers, hash_key=KEY, now=NOW)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.integers(min_value=2, max_value=4), files_each=st.integers(min_value=0, max_value=3),
       victim=st.integers(min_value=0, max_value=3))
def test_erasing_one_subject_leaves_every_other_subjects_files_property(app, customer_url, tmp_path_factory,
                                                                        request, people, files_each, victim):
    dispose_engines()
    engine = sa.create_engine(customer_url)
    media_metadata().drop_all(engine)
    engine.dispose()
    store = new_store("file", request, tmp_path_factory.mktemp("store"))
    media = create_media_app(customer_url, store, people, files_each=files_each)
    victim = media.subjects[victim % people]
    tenant_id = db.session.execute(sa.text("SELECT id FROM tenants WHERE slug = 'acme'")).scalar() \
        or make_tenant("acme").id
    erase_subject(media.datamap, victim.identifiers, hash_key=KEY, now=NOW,
                  files=FileJournal(tenant_id, media.datamap, origin="property"))
    present = media.present()
    assert not (victim.erased_files & present)
    assert victim.kept_files <= present
    for other in media.subjects:
        if other is not victim:
            assert other.files <= present
