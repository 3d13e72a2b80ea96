"""Export files encrypted at rest, written and read as streams (SPEC §6).

File layout, version 1 (all integers big-endian)::

    header  magic b"DSARENC\\0" | version u8 | chunk_size u32 | key_id 8B | salt 16B | nonce_prefix 4B
    chunks  AES-256-GCM(chunk_i) || tag16, for i = 0, 1, ...

Every chunk but the last holds exactly ``chunk_size`` plaintext bytes; the last holds
0..chunk_size (0 only for an empty file). The AES key is HKDF(ring key ``key_id``, salt),
so each file has its own key and ``key_id`` (a fingerprint, never the key) tells the reader
which ring key to use after a rotation. Chunk ``i`` uses nonce ``nonce_prefix || i`` and
authenticates ``header || i || is_last``: a flipped byte, a dropped tail, swapped chunks
or appended bytes all fail verification instead of yielding wrong data.

``TemporarySpool`` reuses the same sealing for scratch space that must not leave plaintext
personal data on disk (the export spools its CSV files through it).
"""
from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dsar.crypto import KeyRing
from dsar.errors import DsarError

MAGIC = b"DSARENC\x00"
VERSION = 1
CHUNK_SIZE = 64 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024  # a corrupt header must not make the reader allocate GBs
TAG_SIZE = 16
_HEADER = struct.Struct(">8sBI8s16s4s")
_FILE_KEY_INFO = b"dsar export file v1"


class CorruptFile(DsarError):
    """An encrypted file failed verification: tampered with, truncated or not ours."""

    code = "corrupt_file"
    status = 500


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(8, "big")


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


def _blocks(chunks: Iterable[bytes], size: int) -> Iterator[tuple[bytes, bool]]:
    """Re-cut arbitrary chunks into ``size``-byte blocks, flagging the last one.

    A full block is held back until more data arrives, because only then is it known not
    to be the last. Memory stays at two blocks whatever the input chunking.
    """
    held: bytes | None = None
    buf = bytearray()
    for data in chunks:
        view = memoryview(data)
        while view:
            take = size - len(buf)
            buf += view[:take]
            view = view[take:]
            if len(buf) == size:
                if held is not None:
                    yield held, False
                held = bytes(buf)
                buf.clear()
    if buf:
        if held is not None:
            yield held, False
        yield bytes(buf), True
    else:
        yield (held if held is not None else b""), True


def write_encrypted(
    path: str | os.PathLike[str],
    chunks: Iterable[bytes],
    keyring: KeyRing,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[int, str]:
    """Encrypt ``chunks`` into ``path``; return the plaintext size and SHA-256 hex.

    The file appears under ``path`` only once complete (written to ``path.part``, synced,
    renamed); on any failure, including the source raising midway, the partial file is
    removed and the error propagates. Nothing is held in memory beyond one chunk.
    """
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be in 1..{MAX_CHUNK_SIZE}")
    path = os.fspath(path)
    part = path + ".part"
    salt, prefix = os.urandom(16), os.urandom(4)
    header = _HEADER.pack(MAGIC, VERSION, chunk_size, keyring.primary_key_id, salt, prefix)
    aead = AESGCM(keyring.derive_key(_FILE_KEY_INFO, salt))
    digest, size = hashlib.sha256(), 0
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(header)
            for index, (block, last) in enumerate(_blocks(chunks, chunk_size)):
                digest.update(block)
                size += len(block)
                out.write(aead.encrypt(_nonce(prefix, index), block, _aad(header, index, last)))
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    except BaseException:
        _remove_quietly(part)
        raise
    return size, digest.hexdigest()


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _read_header(src: BinaryIO, keyring: KeyRing, name: str) -> tuple[bytes, AESGCM, int, bytes]:
    header = src.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise CorruptFile(f"{name} is truncated: incomplete header")
    magic, version, chunk_size, key_id, salt, prefix = _HEADER.unpack(header)
    if magic != MAGIC:
        raise CorruptFile(f"{name} is not a dsar encrypted file")
    if version != VERSION:
        raise CorruptFile(f"{name} has unsupported format version {version}")
    if not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise CorruptFile(f"{name} has an invalid header")
    # derive_key raises ConfigurationError naming the fingerprint if the key was dropped.
    aead = AESGCM(keyring.derive_key(_FILE_KEY_INFO, salt, key_id=key_id))
    return header, aead, chunk_size, prefix


def iter_decrypted(path: str | os.PathLike[str], keyring: KeyRing) -> Iterator[bytes]:
    """Yield the plaintext of ``path`` chunk by chunk, each verified before it is yielded.

    The header is checked now (so a missing key or a foreign file fails before a download
    starts); chunk errors raise ``CorruptFile`` during iteration. Iterate to the end or
    ``close()`` the iterator so the file is closed promptly.
    """
    name = os.path.basename(os.fspath(path))
    src = open(path, "rb")
    try:
        header, aead, chunk_size, prefix = _read_header(src, keyring, name)
    except BaseException:
        src.close()
        raise
    return _decrypt_chunks(src, name, header, aead, chunk_size, prefix)


def _decrypt_chunks(
    src: BinaryIO, name: str, header: bytes, aead: AESGCM, chunk_size: int, prefix: bytes
) -> Iterator[bytes]:
    record_size = chunk_size + TAG_SIZE
    with src:
        record = src.read(record_size)
        index = 0
        while True:
            if len(record) < TAG_SIZE:
                raise CorruptFile(f"{name} is truncated: chunk {index} is incomplete or missing")
            # Read one record ahead: a record is the last one exactly when nothing follows.
            following = src.read(record_size) if len(record) == record_size else b""
            last = not following
            try:
                plain = aead.decrypt(_nonce(prefix, index), record, _aad(header, index, last))
            except InvalidTag:
                raise CorruptFile(
                    f"{name} failed verification at chunk {index}: modified, truncated or reordered"
                ) from None
            yield plain
            if last:
                return
            record, index = following, index + 1


class TemporarySpool:
    """Write-then-read scratch space on disk, sealed with a key that exists only in memory.

    For data that must be produced in one pass but consumed later (the CSV half of an
    export): memory stays at one write, and the disk never holds readable personal data,
    even if the process dies before the anonymous temporary file is reclaimed.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None):
        self._file = tempfile.TemporaryFile(dir=directory)
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._count = 0

    def __enter__(self) -> TemporarySpool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def write(self, data: bytes) -> None:
        """Seal ``data`` as one record; empty writes are skipped."""
        if not data:
            return
        index = self._count.to_bytes(12, "big")
        sealed = self._aead.encrypt(index, data, None)
        self._file.write(len(sealed).to_bytes(4, "big") + sealed)
        self._count += 1

    def iter_chunks(self) -> Iterator[bytes]:
        """Yield the records in write order. Call once, after the last write."""
        self._file.flush()
        self._file.seek(0)
        for i in range(self._count):
            length = int.from_bytes(self._file.read(4), "big")
            sealed = self._file.read(length)
            try:
                yield self._aead.decrypt(i.to_bytes(12, "big"), sealed, None)
            except InvalidTag:
                raise CorruptFile("temporary export data was modified on disk") from None
