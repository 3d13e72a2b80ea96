"""The people of a tenant: who they are, their role, and removing them from this tenant.

The tenant's memberships (who works here, in which role); ``services.staff`` holds the
accounts themselves (passwords, API tokens), ``services.staff_accounts`` invitations,
password resets and the operator's recovery.

A tenant's admin invites (``dsar.services.staff_accounts.invite``) and removes memberships of
their own tenant only. A person's password, second factor and lockout are theirs and the
platform operator's (SPEC §2), never a tenant admin's: an account may serve other tenants.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from dsar.auth.lockout import is_locked
from dsar.errors import Conflict, NotFound
from dsar.extensions import db
from dsar.models import Membership, User
from dsar.services import audit


@dataclass(frozen=True)
class StaffMember:
    user: User
    role: str

    @property
    def locked(self) -> bool:
        return is_locked(self.user)


def list_staff(tenant_id: int) -> list[StaffMember]:
    rows = db.session.execute(
        select(User, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id).order_by(User.name, User.id)
    ).all()
    return [StaffMember(user, role) for user, role in rows]


def actor_names(tenant_id: int) -> dict[str, str]:
    """``user:<id>`` -> the staff member's name, for timelines (others stay as recorded)."""
    return {f"user:{member.user.id}": member.user.name for member in list_staff(tenant_id)}


def member(tenant_id: int, user_id: int) -> tuple[User, Membership]:
    """A user of this tenant, or NotFound: users of other tenants are invisible."""
    row = db.session.execute(
        select(User, Membership).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant_id, User.id == user_id)
    ).first()
    if row is None:
        raise NotFound("no such user in this organisation")
    return row[0], row[1]


def remove(tenant_id: int, user_id: int, actor_id: int) -> User:
    if user_id == actor_id:
        raise Conflict("you cannot remove yourself; ask another administrator", details={"field": "user"})
    user, membership = member(tenant_id, user_id)
    db.session.delete(membership)
    audit.record(tenant_id, "staff_removed", f"user:{actor_id}", payload={"user_id": user.id})
    return user
