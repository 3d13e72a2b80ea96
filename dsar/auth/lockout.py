"""Password checks with a lockout stored on the user (5 failures: locked 15 minutes).

Every failure reads the same to the person typing — unknown address, wrong password,
deactivated or locked account — so the form never tells whether an address is staff.
"""
from __future__ import annotations

import functools
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import or_, select, update

from dsar.extensions import db
from dsar.models import User, utcnow
from dsar.services.staff_accounts import password_matches

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
GENERIC_FAILURE = ("E-mail or password is not right. After 5 failed attempts an account is "
                   "locked for 15 minutes.")

# A hash to verify against when the address is unknown, so both cases take as long.
@functools.cache
def _decoy_hash() -> str:  # made on first use, not at import: start-up does no hashing
    return PasswordHasher().hash("decoy password for unknown addresses")


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()


def record_failure(user: User) -> None:
    """Count one failed attempt (password or code); lock the account at the limit.

    Two conditional UPDATEs instead of read-modify-write, so concurrent guesses are each
    counted and exactly the ``MAX_FAILURES``-th locks: below the limit the counter goes up;
    at it, the account locks. Failures while locked are not counted. The caller commits."""
    now = utcnow()
    unlocked = or_(User.locked_until.is_(None), User.locked_until <= now)
    counted = db.session.execute(
        update(User).where(User.id == user.id, unlocked, User.failed_logins < MAX_FAILURES - 1)
        .values(failed_logins=User.failed_logins + 1).execution_options(synchronize_session=False)).rowcount
    if counted == 0:
        db.session.execute(
            update(User).where(User.id == user.id, unlocked, User.failed_logins >= MAX_FAILURES - 1)
            .values(failed_logins=0, locked_until=now + LOCK_FOR).execution_options(synchronize_session=False))
    db.session.refresh(user, ["failed_logins", "locked_until"])


def record_success(user: User) -> None:
    user.failed_logins, user.locked_until = 0, None


def check_password(email: str, password: str) -> User | None:
    """The user these credentials open, or None (and the failure counted) — one answer for all."""
    email = (email or "").strip().lower()
    user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
    if user is None:
        _spend_time_like_a_check(password)
        return None
    if is_locked(user) or not user.active:
        _spend_time_like_a_check(password)
        return None
    if not password_matches(user, password):
        record_failure(user)
        return None
    db.session.refresh(user, ["locked_until"])  # locked by a concurrent guess meanwhile
    return None if is_locked(user) else user


def _spend_time_like_a_check(password: str) -> None:
    try:
        PasswordHasher().verify(_decoy_hash(), password)
    except Exception:  # noqa: BLE001 - the outcome is irrelevant, only the time spent
        pass
