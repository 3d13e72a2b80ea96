"""Two-factor recovery codes: ten single-use codes shown once, stored as SHA-256 only.

They replace the authenticator app for one sign-in each (lost phone), so a person does not
depend on any tenant's admin — nobody but the platform operator can reset a second factor.
"""
from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select, update

from dsar import crypto
from dsar.extensions import db
from dsar.models import RecoveryCode, User, utcnow

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:40]


def issue(user: User) -> list[str]:
    """New codes for ``user`` (the old ones stop working); the caller shows them once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=crypto.token_hash(raw)))
    db.session.flush()
    return codes


def use(user: User, code: str) -> bool:
    """True once per code: marked used with one conditional UPDATE, so two requests with the
    same code cannot both pass."""
    normalised = _normalise(code)
    if len(normalised) != 10:
        return False
    used = db.session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == crypto.token_hash(normalised),
        RecoveryCode.used_at.is_(None)).values(used_at=utcnow()).execution_options(synchronize_session=False))
    return used.rowcount == 1


def remaining(user: User) -> int:
    return db.session.execute(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalar_one()
