"""The key ring: field encryption with rotation, key validation, keyed hashes."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsar.crypto import KeyRing, generate_key, new_token, normalise_identifier, token_hash
from dsar.errors import ConfigurationError, ValidationError

SECRET = "test-secret-key"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key(), generate_key()


def ring(*keys: str, secret: str = SECRET) -> KeyRing:
    return KeyRing.from_config(",".join(keys), secret)


@given(st.text())
def test_text_round_trip(text):
    keyring = ring(generate_key())
    token = keyring.encrypt_text(text)
    assert token != text
    assert keyring.decrypt_text(token) == text


def test_none_passes_through(keys):
    keyring = ring(keys[0])
    assert keyring.encrypt_text(None) is None
    assert keyring.decrypt_text(None) is None


def test_rotation_old_values_decrypt_new_values_use_new_key(keys):
    old, new = keys
    stored = ring(old).encrypt_text("ada@example.org")

    rotated = ring(new, old)
    assert rotated.decrypt_text(stored) == "ada@example.org"

    fresh = rotated.encrypt_text("grace@example.org")
    assert ring(new).decrypt_text(fresh) == "grace@example.org"
    with pytest.raises(ConfigurationError):
        ring(old).decrypt_text(fresh)


def test_rotate_text_moves_a_value_to_the_first_key(keys):
    old, new = keys
    stored = ring(old).encrypt_text("x")
    moved = ring(new, old).rotate_text(stored)
    assert ring(new).decrypt_text(moved) == "x"


def test_value_from_a_dropped_key_fails_clearly(keys):
    stored = ring(keys[0]).encrypt_text("x")
    with pytest.raises(ConfigurationError, match="DSAR_ENCRYPTION_KEYS"):
        ring(keys[1]).decrypt_text(stored)


def test_spaces_around_keys_are_ignored(keys):
    keyring = KeyRing.from_config(f" {keys[0]} , {keys[1]} ", SECRET)
    assert keyring.decrypt_text(ring(keys[1]).encrypt_text("x")) == "x"


@pytest.mark.parametrize(
    "bad",
    [
        "not-a-key",
        "c2hvcnQ=",  # valid base64, 5 bytes
        "A" * 43 + "=" + "!",
        "é" * 44,
        "A" * 44,  # 44 characters but no padding: not the Fernet format
    ],
)
def test_bad_key_names_its_position_never_its_value(keys, bad):
    with pytest.raises(ConfigurationError) as caught:
        KeyRing.from_config(f"{keys[0]},{bad}", SECRET)
    assert "key 2 of 2" in caught.value.message
    assert bad not in caught.value.message
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("config", ["", "  ", None])
def test_no_key_is_a_configuration_error(config):
    with pytest.raises(ConfigurationError, match="empty"):
        KeyRing.from_config(config, SECRET)


def test_stray_comma_is_reported(keys):
    with pytest.raises(ConfigurationError, match="key 2 of 2 is empty"):
        KeyRing.from_config(keys[0] + ",", SECRET)


def test_empty_secret_key_is_rejected(keys):
    with pytest.raises(ConfigurationError, match="DSAR_SECRET_KEY"):
        KeyRing.from_config(keys[0], "")


def test_repr_shows_no_key_material(keys):
    keyring = ring(*keys)
    assert keys[0] not in repr(keyring) and keys[1] not in repr(keyring)


def test_lookup_hash_is_stable_and_normalised(keys):
    keyring = ring(keys[0])
    first = keyring.lookup_hash(1, "email", "Ada@Example.org")
    assert first == keyring.lookup_hash(1, "email", "  ada@example.ORG \n")
    assert first == ring(keys[1]).lookup_hash(1, "email", "ada@example.org"), "survives key rotation"
    assert len(first) == 64 and int(first, 16) >= 0


def test_lookup_hash_differs_per_tenant_kind_and_secret(keys):
    keyring = ring(keys[0])
    base = keyring.lookup_hash(1, "email", "ada@example.org")
    assert base != keyring.lookup_hash(2, "email", "ada@example.org")
    assert base != keyring.lookup_hash(1, "customer_id", "ada@example.org")
    assert base != ring(keys[0], secret="another").lookup_hash(1, "email", "ada@example.org")


def test_phone_numbers_normalise_to_digits_and_leading_plus(keys):
    keyring = ring(keys[0])
    assert normalise_identifier("phone", " +44 (0)20 7946-0000 ") == "+440207946" "0000"
    assert normalise_identifier("phone", "555 123 4567") == "5551234567"
    assert keyring.lookup_hash(1, "phone", "+1 555-123-4567") == keyring.lookup_hash(1, "phone", "+15551234567")
    assert keyring.lookup_hash(1, "phone", "+1 555 123 4567") != keyring.lookup_hash(1, "phone", "1 555 123 4567")


def test_lookup_hash_rejects_empty_values_and_odd_kinds(keys):
    keyring = ring(keys[0])
    with pytest.raises(ValidationError):
        keyring.lookup_hash(1, "email", "   ")
    with pytest.raises(ValidationError):
        keyring.lookup_hash(1, "phone", "n/a")
    with pytest.raises(ValidationError):
        keyring.lookup_hash(1, "Email\x1f", "a@b.c")


def test_tenant_hash_key_is_stable_per_tenant(keys):
    keyring = ring(keys[0])
    assert keyring.tenant_hash_key(7) == ring(keys[1]).tenant_hash_key(7)
    assert keyring.tenant_hash_key(7) != keyring.tenant_hash_key(8)
    assert len(keyring.tenant_hash_key(7)) == 32


def test_derive_key_is_per_salt_and_refuses_unknown_key_ids(keys):
    keyring = ring(*keys)
    assert keyring.derive_key(b"p", b"salt-1") != keyring.derive_key(b"p", b"salt-2")
    assert keyring.derive_key(b"p", b"s") != keyring.derive_key(b"q", b"s")
    assert keyring.primary_key_id == ring(keys[0]).primary_key_id
    with pytest.raises(ConfigurationError, match="not in DSAR_ENCRYPTION_KEYS"):
        keyring.derive_key(b"p", b"s", key_id=b"\0" * 8)


def test_tokens():
    token = new_token()
    assert len(token) >= 43 and token != new_token()
    assert token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
