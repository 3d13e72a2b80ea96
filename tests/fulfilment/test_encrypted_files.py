"""Encrypted-at-rest export files: round trips, rotation, and every kind of tampering."""
from __future__ import annotations

import base64
import hashlib
import os

import pytest

from dsar.crypto import KeyRing, generate_key
from dsar.errors import ConfigurationError
from dsar.fulfilment.encrypted_files import (
    _HEADER,
    TAG_SIZE,
    CorruptFile,
    TemporarySpool,
    iter_decrypted,
    write_encrypted,
)

CHUNK = 1024  # small chunks so multi-chunk cases stay small


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key(), generate_key()


@pytest.fixture
def keyring(keys) -> KeyRing:
    return KeyRing.from_config(keys[0], "secret")


def pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def read_all(path, keyring) -> bytes:
    return b"".join(iter_decrypted(path, keyring))


@pytest.mark.parametrize(
    "length", [0, 1, 100, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17]
)
@pytest.mark.parametrize("piece", [1, 7, CHUNK, 5000])
def test_round_trip(tmp_path, keyring, length, piece):
    data = os.urandom(length)
    path = tmp_path / "export.bin"
    size, sha = write_encrypted(path, pieces(data, piece), keyring, chunk_size=CHUNK)
    assert (size, sha) == (length, hashlib.sha256(data).hexdigest())
    assert read_all(path, keyring) == data
    assert len(data) < 16 or data not in path.read_bytes(), "plaintext must not be on disk"


def test_chunks_are_yielded_one_at_a_time(tmp_path, keyring):
    path = tmp_path / "f"
    write_encrypted(path, [b"x" * (4 * CHUNK)], keyring, chunk_size=CHUNK)
    assert [len(c) for c in iter_decrypted(path, keyring)] == [CHUNK] * 4


def test_default_chunk_size_round_trip(tmp_path, keyring):
    data = os.urandom(200_000)
    write_encrypted(tmp_path / "f", iter([data[:70_000], data[70_000:]]), keyring)
    assert read_all(tmp_path / "f", keyring) == data


def test_file_is_private_and_no_partial_is_left(tmp_path, keyring):
    path = tmp_path / "f"
    write_encrypted(path, [b"data"], keyring)
    assert path.stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == ["f"]


def test_failing_source_leaves_nothing_behind(tmp_path, keyring):
    def source():
        yield b"a" * 5000
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_encrypted(tmp_path / "f", source(), keyring, chunk_size=CHUNK)
    assert os.listdir(tmp_path) == []


def test_rotation_old_files_still_decrypt(tmp_path, keys):
    old_ring = KeyRing.from_config(keys[0], "secret")
    write_encrypted(tmp_path / "old", [b"old data"], old_ring)

    rotated = KeyRing.from_config(f"{keys[1]},{keys[0]}", "secret")
    assert read_all(tmp_path / "old", rotated) == b"old data"
    write_encrypted(tmp_path / "new", [b"new data"], rotated)
    assert read_all(tmp_path / "new", KeyRing.from_config(keys[1], "secret")) == b"new data"


def test_wrong_key_ring_is_refused_before_reading(tmp_path, keys, keyring):
    write_encrypted(tmp_path / "f", [b"data"], keyring)
    other = KeyRing.from_config(keys[1], "secret")
    with pytest.raises(ConfigurationError, match="not in DSAR_ENCRYPTION_KEYS"):
        iter_decrypted(tmp_path / "f", other)


def test_key_id_is_a_fingerprint_not_the_key(tmp_path, keys, keyring):
    write_encrypted(tmp_path / "f", [b"data"], keyring)
    raw = tmp_path.joinpath("f").read_bytes()
    assert keys[0].encode() not in raw
    assert base64.urlsafe_b64decode(keys[0])[:8] not in raw


def write_sample(tmp_path, keyring, chunks: int = 3) -> tuple[os.PathLike, bytes]:
    path = tmp_path / "f"
    data = os.urandom(chunks * CHUNK - 10)
    write_encrypted(path, [data], keyring, chunk_size=CHUNK)
    return path, data


def records(raw: bytes) -> tuple[bytes, list[bytes]]:
    size = CHUNK + TAG_SIZE
    body = raw[_HEADER.size :]
    return raw[: _HEADER.size], [body[i : i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize("offset", [_HEADER.size + 5, _HEADER.size + CHUNK + 20, -1])
def test_tampered_byte_is_detected(tmp_path, keyring, offset):
    path, _ = write_sample(tmp_path, keyring)
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptFile, match="failed verification"):
        read_all(path, keyring)


def test_tampered_header_is_detected(tmp_path, keyring):
    path, _ = write_sample(tmp_path, keyring)
    raw = bytearray(path.read_bytes())
    raw[_HEADER.size - 1] ^= 0x01  # nonce prefix: authenticated through the header
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptFile):
        read_all(path, keyring)


@pytest.mark.parametrize("drop_bytes", [1, TAG_SIZE, 100])
def test_truncated_tail_is_detected(tmp_path, keyring, drop_bytes):
    path, _ = write_sample(tmp_path, keyring)
    path.write_bytes(path.read_bytes()[:-drop_bytes])
    with pytest.raises(CorruptFile):
        read_all(path, keyring)


@pytest.mark.parametrize("drop_records", [1, 2])
def test_dropped_whole_chunks_are_detected(tmp_path, keyring, drop_records):
    path, _ = write_sample(tmp_path, keyring)
    header, recs = records(path.read_bytes())
    path.write_bytes(header + b"".join(recs[:-drop_records]))
    with pytest.raises(CorruptFile):
        read_all(path, keyring)


def test_truncation_to_header_or_less_is_detected(tmp_path, keyring):
    path, _ = write_sample(tmp_path, keyring)
    raw = path.read_bytes()
    path.write_bytes(raw[: _HEADER.size])
    with pytest.raises(CorruptFile, match="truncated"):
        read_all(path, keyring)
    path.write_bytes(raw[:10])
    with pytest.raises(CorruptFile, match="truncated"):
        iter_decrypted(path, keyring)


def test_exact_multiple_truncated_at_record_boundary_is_detected(tmp_path, keyring):
    path = tmp_path / "f"
    write_encrypted(path, [os.urandom(3 * CHUNK)], keyring, chunk_size=CHUNK)
    header, recs = records(path.read_bytes())
    assert len(recs) == 3
    path.write_bytes(header + b"".join(recs[:2]))
    with pytest.raises(CorruptFile):
        read_all(path, keyring)


def test_reordered_chunks_are_detected(tmp_path, keyring):
    path, _ = write_sample(tmp_path, keyring, chunks=4)
    header, recs = records(path.read_bytes())
    recs[0], recs[1] = recs[1], recs[0]
    path.write_bytes(header + b"".join(recs))
    with pytest.raises(CorruptFile, match="chunk 0"):
        read_all(path, keyring)


def test_appended_bytes_are_detected(tmp_path, keyring):
    path, _ = write_sample(tmp_path, keyring)
    path.write_bytes(path.read_bytes() + b"\0" * 32)
    with pytest.raises(CorruptFile):
        read_all(path, keyring)


def test_chunk_from_another_file_is_detected(tmp_path, keyring):
    path, _ = write_sample(tmp_path, keyring)
    other = tmp_path / "g"
    write_encrypted(other, [os.urandom(3 * CHUNK - 10)], keyring, chunk_size=CHUNK)
    header, recs = records(path.read_bytes())
    _, foreign = records(other.read_bytes())
    path.write_bytes(header + foreign[0] + b"".join(recs[1:]))
    with pytest.raises(CorruptFile):
        read_all(path, keyring)


def test_foreign_file_is_refused(tmp_path, keyring):
    path = tmp_path / "f.zip"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    with pytest.raises(CorruptFile, match="not a dsar encrypted file"):
        iter_decrypted(path, keyring)


def test_temporary_spool_round_trip(tmp_path):
    with TemporarySpool(tmp_path) as spool:
        for piece in (b"a", b"", "é".encode(), b"z" * 100_000):
            spool.write(piece)
        assert b"".join(spool.iter_chunks()) == b"a" + "é".encode() + b"z" * 100_000
    assert os.listdir(tmp_path) == [], "the spool file is anonymous"
