"""A customer database whose rows name files in a store: accounts with avatars,
attachments with a file and a thumbnail, call recordings (retention: 90 days), invoice
PDFs kept for tax law, and support notes that erasure anonymizes (their scans stay).

``create_media_app(url, store, subjects)`` builds and fills it; every file is a few bytes
naming its owner, so a test can say whose file is where.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from dsar.datamap.loader import parse_datamap
from dsar.datamap.model import DataMap
from dsar.files.stores import FileStore
from tests.files.fixtures import put

NOW = datetime(2026, 11, 18, 10, 0)  # the test clock, naive UTC as the schema stores it


def media_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table("accounts", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("email", sa.String(200), nullable=False, index=True), sa.Column("avatar_key", sa.String(300)))
    sa.Table("attachments", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey("accounts.id"), nullable=False, index=True),
             sa.Column("storage_key", sa.String(300)), sa.Column("thumbnail_key", sa.String(300)))
    sa.Table("recordings", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey("accounts.id"), nullable=False, index=True),
             sa.Column("audio_key", sa.String(300)), sa.Column("recorded_at", sa.DateTime, index=True))
    sa.Table("invoices", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey("accounts.id"), nullable=False, index=True),
             sa.Column("pdf_key", sa.String(300)), sa.Column("issued_at", sa.DateTime))
    sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey("accounts.id"), nullable=True, index=True),
             sa.Column("body", sa.Text), sa.Column("scan_key", sa.String(300)))
    return metadata


def media_datamap_yaml(url: str, store: FileStore) -> str:
    options = "{" + ", ".join(f'{k}: "{v}"' for k, v in store.store.options) + "}"
    return f"""\
tenant: acme
stores:
  - name: {store.name}
    url: {store.store.url}
    options: {options}
sources:
  - name: app
    url: {url}
    tables:
      - name: accounts
        primary_key: id
        identity: {{email: email}}
        files: {{avatar_key: {store.name}}}
      - name: attachments
        primary_key: id
        link: {{account_id: accounts.id}}
        files: {{storage_key: {store.name}, thumbnail_key: {store.name}}}
      - name: recordings
        primary_key: id
        link: {{account_id: accounts.id}}
        files: {{audio_key: {store.name}}}
        retention: {{after: 90 days, from: recorded_at, action: delete}}
      - name: invoices
        primary_key: id
        link: {{account_id: accounts.id}}
        files: {{pdf_key: {store.name}}}
        erasure: {{retain: {{basis: "Tax law", until: 7 years, from: issued_at}}}}
      - name: notes
        primary_key: id
        link: {{account_id: accounts.id}}
        files: {{scan_key: {store.name}}}
        erasure: {{anonymize: {{body: redact}}}}
"""


@dataclass
class MediaSubject:
    email: str
    account_id: int
    erased_files: set[str] = field(default_factory=set)  # go with an erasure
    kept_files: set[str] = field(default_factory=set)  # invoices and notes: stay
    old_recordings: set[str] = field(default_factory=set)  # past retention

    @property
    def files(self) -> set[str]:
        return self.erased_files | self.kept_files

    @property
    def identifiers(self) -> dict:
        return {"email": self.email}


@dataclass
class MediaApp:
    url: str
    store: FileStore
    subjects: list[MediaSubject]

    @property
    def datamap(self) -> DataMap:
        return parse_datamap(media_datamap_yaml(self.url, self.store), name="acme.yml")

    def present(self) -> set[str]:
        """Every key the store still holds."""
        root = self.store.root.rstrip("/") + "/"
        found = self.store.fs.find(self.store.root, **({"refresh": True} if self.store.store.protocol == "s3" else {}))
        return {path.removeprefix(root) for path in found}


def create_media_app(url: str, store: FileStore, people: int = 3, *, files_each: int = 2,
                     attachment_rows: list | None = None) -> MediaApp:
    """``people`` subjects, each with an avatar, ``files_each`` attachments (file and
    thumbnail), a new and an old recording, an invoice PDF and a note scan."""
    engine = sa.create_engine(url)
    metadata = media_metadata()
    metadata.create_all(engine)
    t = metadata.tables
    subjects: list[MediaSubject] = []
    rows: dict[str, list[dict]] = {name: [] for name in t}
    next_id = 1
    for number in range(people):
        who = f"person{number}"
        subject = MediaSubject(f"{who}@example.com", number + 1)
        avatar = f"avatars/{who}.png"
        rows["accounts"].append({"id": subject.account_id, "email": subject.email, "avatar_key": avatar})
        subject.erased_files.add(avatar)
        for index in range(files_each):
            key, thumb = f"uploads/{who}/{index}.pdf", f"thumbs/{who}-{index}.jpg"
            rows["attachments"].append({"id": next_id, "account_id": subject.account_id, "storage_key": key,
                                        "thumbnail_key": thumb if index % 2 == 0 else None})
            subject.erased_files |= {key} | ({thumb} if index % 2 == 0 else set())
            next_id += 1
        for age, label in ((10, "new"), (200, "old")):
            key = f"calls/{who}-{label}.wav"
            rows["recordings"].append({"id": next_id, "account_id": subject.account_id, "audio_key": key,
                                       "recorded_at": NOW - timedelta(days=age)})
            subject.erased_files.add(key)
            if label == "old":
                subject.old_recordings.add(key)
            next_id += 1
        pdf, scan = f"invoices/{who}.pdf", f"scans/{who}.png"
        rows["invoices"].append({"id": next_id, "account_id": subject.account_id, "pdf_key": pdf,
                                 "issued_at": NOW - timedelta(days=30)})
        rows["notes"].append({"id": next_id, "account_id": subject.account_id, "body": f"{who} called",
                              "scan_key": scan})
        subject.kept_files |= {pdf, scan}
        next_id += 1
        subjects.append(subject)
    with engine.begin() as connection:
        for name in ("accounts", "attachments", "recordings", "invoices", "notes"):
            if rows[name]:
                connection.execute(t[name].insert(), rows[name])
    engine.dispose()
    for subject in subjects:
        for key in subject.files:
            put(store, key, f"{key} of {subject.email}".encode())
    return MediaApp(url, store, subjects)
