"""The platform's key ring: field encryption, file keys and keyed lookup hashes.

``DSAR_ENCRYPTION_KEYS`` is a comma-separated list of Fernet keys (urlsafe base64 of 32
bytes). The first key encrypts; every key decrypts, so a key is rotated by putting a new one
in front and dropping the old one once nothing needs it any more (SPEC §8).

``DSAR_SECRET_KEY`` feeds the keyed hashes: lookups of subject identifiers (suppression list,
duplicate detection) and the data map's ``hash`` anonymize strategy. Those hashes must stay
stable across encryption-key rotation, which is why they hang off the secret key instead.

Raw key material never leaves this module: other modules ask the ring for a derived key.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dsar.errors import ConfigurationError, ValidationError

KEY_ID_BYTES = 8
MAX_EMAIL = 320
_LOOKUP_INFO = b"dsar lookup hash"
_TENANT_HASH_INFO = b"dsar anonymize hash"
_KEY_ID_LABEL = b"dsar key fingerprint"
_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
_FERNET_KEY = re.compile(r"[A-Za-z0-9_-]{43}=")


def generate_key() -> str:
    """A fresh key in the format ``DSAR_ENCRYPTION_KEYS`` expects."""
    return Fernet.generate_key().decode("ascii")


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token (download links, API tokens, verification links)."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """How a token is stored: SHA-256 hex.

    Tokens carry at least 256 bits of randomness, so an unsalted fast hash cannot be
    brute-forced and lets the database find a token by equality.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _hkdf(material: bytes, info: bytes, salt: bytes | None = None, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(material)


def normalise_email(value: str | None, field: str = "email") -> str:
    """The one e-mail normaliser: the address as it is written to — trimmed, checked, its
    domain in lower case (email_validator's normalized form; the local part keeps its case,
    which only the receiving server may interpret). ValidationError naming ``field`` when it
    is empty, longer than ``MAX_EMAIL`` characters or not an address. Intake and staff
    accounts use it; :func:`email_identity` is the form spellings of one address share."""
    from email_validator import EmailNotValidError, validate_email  # start-up: it loads dnspython

    value = (value or "").strip()
    if not value:
        raise ValidationError(f"{field} is required", details={"field": field})
    if len(value) > MAX_EMAIL:
        raise ValidationError(f"{field} is longer than {MAX_EMAIL} characters", details={"field": field})
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationError(f"{field}: {exc}", details={"field": field}) from None


def email_identity(address: str) -> str:
    """What two spellings of one address share (NFC, trimmed, lower case): the form lookup
    hashes are made of and staff sign in with."""
    return unicodedata.normalize("NFC", address).strip().lower()


def _normalise_phone(value: str) -> str:
    # "+44 (0)20 7946-0000" and "+4402079460000" are the same subject; a leading "+"
    # is kept because "+1 555..." and "1 555..." are not guaranteed to be.
    stripped = value.strip()
    digits = "".join(ch for ch in stripped if ch.isdigit())
    return ("+" + digits) if stripped.startswith("+") and digits else digits


def _normalise_other(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


# How each identity kind is normalised before hashing; kinds not listed are trimmed only.
NORMALISERS: dict[str, Callable[[str], str]] = {
    "email": email_identity,
    "phone": _normalise_phone,
}


def normalise_identifier(kind: str, value: str) -> str:
    """The canonical form of an identifier, so spelling variants hash alike."""
    return NORMALISERS.get(kind, _normalise_other)(value)


def _decode_key(position: int, total: int, text: str) -> bytes:
    """Raw 32 bytes of one configured key; the error names its position, never its value."""
    where = f"DSAR_ENCRYPTION_KEYS: key {position} of {total}"
    if not text:
        raise ConfigurationError(f"{where} is empty (check for a stray comma)")
    # Checked by pattern first: the base64 decoder silently skips stray characters.
    if not _FERNET_KEY.fullmatch(text):
        raise ConfigurationError(
            f"{where} is not a valid key: expected 32 bytes in URL-safe base64 "
            "(make one with `Fernet.generate_key()` or `dsar.crypto.generate_key()`)"
        )
    return base64.urlsafe_b64decode(text)


def _fingerprint(raw: bytes) -> bytes:
    return hmac.new(raw, _KEY_ID_LABEL, hashlib.sha256).digest()[:KEY_ID_BYTES]


class KeyRing:
    """Every key the deployment holds, and the operations that need them."""

    def __init__(self, keys: Sequence[bytes], secret_key: bytes):
        if not keys:
            raise ConfigurationError("DSAR_ENCRYPTION_KEYS holds no key")
        if not secret_key:
            raise ConfigurationError("DSAR_SECRET_KEY is empty")
        self._keys = list(keys)
        self._ids = [_fingerprint(raw) for raw in self._keys]
        self._fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(raw)) for raw in self._keys])
        self._lookup_key = _hkdf(secret_key, _LOOKUP_INFO)
        self._secret_key = secret_key

    @classmethod
    def from_config(cls, encryption_keys: str, secret_key: str) -> KeyRing:
        """Build the ring from the two settings, rejecting anything malformed up front."""
        parts = [part.strip() for part in (encryption_keys or "").split(",")]
        if parts == [""]:
            raise ConfigurationError("DSAR_ENCRYPTION_KEYS is empty: set at least one key")
        raws = [_decode_key(i, len(parts), part) for i, part in enumerate(parts, start=1)]
        return cls(raws, (secret_key or "").encode("utf-8"))

    def __repr__(self) -> str:
        return f"<KeyRing {len(self._keys)} key(s), primary {self.primary_key_id.hex()}>"

    # -- field encryption -------------------------------------------------------------

    def encrypt_text(self, value: str | None) -> str | None:
        """Encrypt a field with the first key; ``None`` stays ``None``."""
        if value is None:
            return None
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt_text(self, token: str | None) -> str | None:
        """Decrypt a field written under any key of the ring; ``None`` stays ``None``."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise ConfigurationError(
                "a stored value cannot be decrypted: its key is no longer in "
                "DSAR_ENCRYPTION_KEYS, or the value is corrupt"
            ) from None

    def rotate_text(self, token: str | None) -> str | None:
        """Re-encrypt a stored field under the first key (what a rotation job calls)."""
        if token is None:
            return None
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise ConfigurationError("a stored value cannot be rotated: unknown key or corrupt") from None

    # -- file keys --------------------------------------------------------------------

    @property
    def primary_key_id(self) -> bytes:
        """Fingerprint of the encrypting key: safe to store beside what it encrypted."""
        return self._ids[0]

    def has_key_id(self, key_id: bytes) -> bool:
        return key_id in self._ids

    def derive_key(self, info: bytes, salt: bytes, key_id: bytes | None = None) -> bytes:
        """A 32-byte key derived by HKDF from the ring key ``key_id`` (default: the first).

        Callers get purpose-bound keys (``info``) and per-object keys (``salt``), never the
        ring key itself.
        """
        key_id = self.primary_key_id if key_id is None else key_id
        try:
            raw = self._keys[self._ids.index(key_id)]
        except ValueError:
            raise ConfigurationError(
                f"data was encrypted with key {key_id.hex()}, which is not in DSAR_ENCRYPTION_KEYS"
            ) from None
        return _hkdf(raw, info, salt=salt)

    # -- keyed hashes -----------------------------------------------------------------

    def lookup_hash(self, tenant_id: int, kind: str, value: str) -> str:
        """HMAC-SHA256 hex of a normalised identifier, distinct per tenant and kind.

        Lets the platform find "is this address on the suppression list?" without storing
        the address; the tenant is part of the input so one tenant's hashes say nothing
        about another's subjects.
        """
        if not _KIND.match(kind):
            raise ValidationError(f"identifier kind {kind!r} is not a lowercase name")
        normalised = normalise_identifier(kind, value)
        if not normalised:
            raise ValidationError(f"the {kind} to look up is empty", details={"field": kind})
        # The value comes last, so the separator cannot make two inputs collide.
        message = f"{int(tenant_id)}\x1f{kind}\x1f{normalised}".encode("utf-8")
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()

    def tenant_hash_key(self, tenant_id: int) -> bytes:
        """The key of the data map's ``hash`` anonymize strategy: stable, one per tenant."""
        return _hkdf(self._secret_key, _TENANT_HASH_INFO + b":" + str(int(tenant_id)).encode())
