"""The staff queue: a tenant's requests, filtered, sorted by target date, one page at a time.

The API (``GET /api/v1/requests``) and the dashboard both list requests through
:func:`queue`, so "overdue", the sort order and the search mean the same everywhere.
Search never scans subject data: an e-mail is found through its keyed hash.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select

from dsar.domain.regimes import REGIME_CODES
from dsar.domain.request_states import CLOSED_STATES, OPEN_STATES, REQUEST_TYPES, STATES
from dsar.errors import ValidationError
from dsar.extensions import db
from dsar.keyring import keyring
from dsar.models import RightsRequest, for_tenant
from dsar.services.lifecycle import normalise_reference

#: Status filters beyond the single states: every open, or every closed, request.
STATUS_GROUPS = {"open": OPEN_STATES, "closed": CLOSED_STATES}
STATUS_FILTERS: tuple[str, ...] = (*STATES, *STATUS_GROUPS)
#: Open states whose clock runs: a paused request waits for the subject and is never overdue.
RUNNING_STATES = tuple(s for s in OPEN_STATES if s != "paused")
MAX_PER_PAGE = 100
#: A search of at least four reference characters finds the references that contain it.
_REFERENCE_PART = re.compile(r"[0-9A-Z-]{4,}")
DEFAULT_PER_PAGE = 25


@dataclass(frozen=True)
class Page:
    """One page of the queue: its requests, where it is, and how many match in all."""

    items: Sequence[RightsRequest]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def queue(tenant_id: int, *, status: str | None = None, type: str | None = None, regime: str | None = None,
          assignee_id: int | None = None, overdue: bool | None = None, search: str | None = None,
          today: date, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> Page:
    """The tenant's requests matching every filter given, earliest target date first.

    ``status`` is a state or ``open``/``closed``; ``overdue=True`` keeps open requests whose
    clock runs and whose target date is before ``today`` (``False`` the others); ``search``
    is a reference or a part of one (four characters or more), or an exact e-mail address.
    Raises ValidationError naming the field for a value outside its choices or a page out
    of range.
    """
    _check("status", status, STATUS_FILTERS)
    _check("type", type, REQUEST_TYPES)
    _check("regime", regime, REGIME_CODES)
    if page < 1:
        raise ValidationError("page must be 1 or more", details={"field": "page"})
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(f"per_page must be between 1 and {MAX_PER_PAGE}", details={"field": "per_page"})
    query = for_tenant(RightsRequest, tenant_id)
    if status is not None:
        query = query.where(RightsRequest.status.in_(STATUS_GROUPS.get(status, (status,))))
    if type is not None:
        query = query.where(RightsRequest.type == type)
    if regime is not None:
        query = query.where(RightsRequest.regime == regime)
    if assignee_id is not None:
        query = query.where(RightsRequest.assignee_id == assignee_id)
    if overdue is not None:
        is_overdue = RightsRequest.status.in_(RUNNING_STATES) & (RightsRequest.target_date < today)
        query = query.where(is_overdue if overdue else ~is_overdue)
    if search is not None and search.strip():
        query = query.where(_matches(tenant_id, search.strip()))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = db.session.execute(
        query.order_by(RightsRequest.target_date, RightsRequest.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).scalars().all()
    return Page(items=items, page=page, per_page=per_page, total=total)


def is_overdue(request: RightsRequest, today: date) -> bool:
    """The same rule as ``queue(overdue=True)``, for one request already loaded."""
    return request.status in RUNNING_STATES and request.target_date < today


def _matches(tenant_id: int, search: str):
    term = normalise_reference(search)
    by_reference = RightsRequest.reference == term
    if _REFERENCE_PART.fullmatch(term):  # a part of a reference, as read over the phone: "7K3F"
        by_reference = RightsRequest.reference.contains(term, autoescape=True)
    if "@" not in search:
        return by_reference
    return or_(by_reference,
               RightsRequest.subject_email_hash == keyring().lookup_hash(tenant_id, "email", search))


def _check(field: str, value: str | None, choices: Sequence[str]) -> None:
    if value is not None and value not in choices:
        raise ValidationError(f"{field} {value!r} is unknown; choose one of {', '.join(choices)}",
                              details={"field": field})
