"""The demo company's files: uploads and short voice recordings in a ``file://`` store
under ``instance/``, each named by a row of its database, so an export shows files and an
erasure or a retention run deletes them.

The recordings are generated WAV files (a few hundred milliseconds of tones, made with
the standard library's ``wave``), the uploads small text receipts; a few kilobytes each.
"""
from __future__ import annotations

import math
import random
import struct
import wave
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from dsar.demo.activity import DEMO_SUBJECT

STORE = "media"
ACCOUNTS_WITH_FILES = 60  # the first accounts (the demo subject among them) have files
RATE = 8000


FILE_TABLES = ("attachments", "call_recordings")


def media_metadata() -> sa.MetaData:
    """The two tables that name files (added beside the sample schema's ``accounts``)."""
    md = sa.MetaData()
    accounts = sa.Table("accounts", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("attachments", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey(accounts.c.id), nullable=False, index=True),
             sa.Column("file_name", sa.String(200), nullable=False),
             sa.Column("storage_key", sa.String(300), nullable=False),
             sa.Column("uploaded_at", sa.DateTime, nullable=False, index=True))
    sa.Table("call_recordings", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("account_id", sa.ForeignKey(accounts.c.id), nullable=False, index=True),
             sa.Column("audio_key", sa.String(300), nullable=False),
             sa.Column("seconds", sa.Float, nullable=False),
             sa.Column("recorded_at", sa.DateTime, nullable=False, index=True))
    return md


def media_datamap_yaml(folder: Path) -> tuple[str, str]:
    """(the tables to append to the source's ``tables:``, the top-level ``stores:``)."""
    tables = f"""\
      - name: attachments
        description: Files you uploaded in the chat
        primary_key: id
        link: {{account_id: accounts.id}}
        categories: {{file_name: user.content}}
        provided_by_subject: true
        files: {{storage_key: {STORE}}}
        retention: {{after: 12 months, from: uploaded_at, action: delete}}
      - name: call_recordings
        description: Recordings of your voice calls with support
        primary_key: id
        link: {{account_id: accounts.id}}
        categories: {{audio_key: user.content}}
        files: {{audio_key: {STORE}}}
        retention: {{after: 12 months, from: recorded_at, action: delete}}
"""
    stores = f"""\
stores:
  - name: {STORE}
    url: file://{folder.resolve()}
"""
    return tables, stores


def voice_recording(seconds: float, seed: int) -> bytes:
    """A short mono 8 kHz WAV: a few tones, like a voice message's length and size."""
    import io

    rng = random.Random(seed)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(RATE)
        frames = bytearray()
        pitch = rng.choice([180, 220, 260])
        for index in range(int(seconds * RATE)):
            if index % 800 == 0:
                pitch = rng.choice([180, 220, 260, 300])
            frames.append(128 + int(60 * math.sin(2 * math.pi * pitch * index / RATE)))
        out.writeframes(struct.pack(f"{len(frames)}B", *frames))
    return buffer.getvalue()


def create_demo_media(url: str, folder: Path, now: datetime) -> int:
    """Create the file tables and files if they are not there yet; return the files written."""
    engine = sa.create_engine(url)
    try:
        metadata = media_metadata()
        metadata.create_all(engine, tables=[metadata.tables[name] for name in FILE_TABLES], checkfirst=True)
        with engine.begin() as connection:
            if connection.execute(sa.select(sa.func.count()).select_from(metadata.tables["attachments"])).scalar_one():
                return 0
            accounts = connection.execute(sa.text("SELECT id, email FROM accounts ORDER BY id LIMIT :n"),
                                          {"n": ACCOUNTS_WITH_FILES}).all()
            uploads, calls = _rows(accounts, folder, now)
            connection.execute(metadata.tables["attachments"].insert(), uploads)
            connection.execute(metadata.tables["call_recordings"].insert(), calls)
        return len(uploads) + len(calls)
    finally:
        engine.dispose()


def _rows(accounts, folder: Path, now: datetime) -> tuple[list[dict], list[dict]]:
    rng = random.Random(17)
    naive = now.replace(tzinfo=None)
    uploads, calls = [], []
    for account_id, email in accounts:
        recent = email == DEMO_SUBJECT  # the tour's subject has fresh files an export shows
        for number in range(rng.randint(1, 2)):
            key = f"uploads/{account_id}/receipt-{number + 1}.txt"
            _write(folder / key, f"Receipt {number + 1} uploaded by account {account_id}\n".encode())
            uploads.append({"id": len(uploads) + 1, "account_id": account_id, "file_name": f"receipt-{number + 1}.txt",
                            "storage_key": key, "uploaded_at": naive - timedelta(days=rng.uniform(1, 60 if recent else 900))})
        seconds = round(rng.uniform(0.3, 0.8), 2)
        key = f"calls/{account_id}/call-1.wav"
        _write(folder / key, voice_recording(seconds, account_id))
        calls.append({"id": len(calls) + 1, "account_id": account_id, "audio_key": key, "seconds": seconds,
                      "recorded_at": naive - timedelta(days=rng.uniform(1, 30 if recent else 900))})
    return uploads, calls


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
