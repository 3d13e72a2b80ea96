"""Response deadlines of data-subject requests (SPEC §3): dates in, dates out.

Rules, with where they come from (the regimes themselves are data in
:mod:`dsar.domain.regimes`):

* **One calendar month** (GDPR and UK GDPR Art. 12(3), read as the ICO's guidance "Time
  limits for responding to data protection rights requests"): the day of receipt is day one
  and the deadline is the same date in the next month; where that date does not exist, the
  last day of the next month (31 Jan -> 28/29 Feb, 31 Aug -> 30 Sep). An extension gives
  "two further months": the deadline becomes three calendar months after receipt, by the
  same rule, counted from receipt (not from the first deadline). It may be used once, and
  the subject must be told within the first month.
* **Calendar days** (CCPA regs §7021(b): 45 days, +45 once with notice within the first 45;
  LGPD Art. 19(II): 15 days; the tenant's own policy: N days): received date + N days.
* **Working days.** The ICO moves a deadline that falls on a weekend or public holiday to
  the next working day. Decision: that roll is applied to the final legal deadline of
  *every* regime, so one rule holds everywhere and the dashboard never shows a deadline on a
  day the office is closed (California and Brazil have comparable rules for statutory
  periods: Cal. Code Civ. Proc. §12a; Lei 9.784/99 art. 66 §1). Holidays are those of the
  tenant's country (ISO 3166-1 alpha-2, e.g. ``GB``) from the ``holidays`` package. Without
  a subdivision only nationwide holidays count (GB: no Easter Monday, which Scotland does
  not observe), which can only make a deadline earlier, never later than the law allows
  anywhere in the country; ``GB-ENG``, ``DE-BY``, ``US-CA`` add a subdivision's holidays.
* **Pauses** (ICO: the time limit waits for ID or clarification): the days the request was
  paused are added to the unrolled date, then the working-day roll applies. Regimes whose
  clock never stops (ccpa, lgpd) refuse pauses.
* **The policy promise** (tenant setting, SPEC §3): received date + N calendar days, moved
  by pauses like the legal clock but *not* rolled to a working day: it is what the tenant
  published, and reporting it a day early is safe. The **target date** is the earlier of the
  legal deadline in force and the policy date.
* **The clock starts on the day received**: a request entered later (post, phone) counts
  from the start of the day it arrived (00:00 UTC); one entered the day it arrived, from
  the moment of entry. Whole days count, so the time within the day never moves a date.
* **Which date the subject is told**: the target date, the one the tenant promised; where
  the legal deadline in force is later, it is shown too, named as the legal limit.
* **Acknowledgement** (CCPA regs §7021(a)): within 10 business days of receipt; the day of
  receipt is not counted, weekends and the country's holidays are skipped.
* **Erasure grace period** (SPEC §3, CCPA §7020(d) two-step deletion): executed at the
  earlier of the end of the grace period and the legal deadline.

Inputs are ``datetime.date``: the application converts its UTC receipt timestamps first.
"""
from __future__ import annotations

import calendar
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING

from dsar.domain.regimes import Period, Regime
from dsar.errors import Conflict, ValidationError

if TYPE_CHECKING:
    import holidays

_SATURDAY = 5
# holidays also accepts alpha-3 codes; the product stores alpha-2 (SPEC §8 `--country CC`).
_COUNTRY = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")


# --- calendar arithmetic -------------------------------------------------------------


def calendar_months_after(received: date, months: int) -> date:
    """The same day number ``months`` months later, or that month's last day if it is shorter."""
    if months < 0:
        raise ValidationError("A number of months cannot be negative.", details={"months": months})
    year, month_index = divmod(received.month - 1 + months, 12)
    year += received.year
    month = month_index + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(received.day, last_day))


def add_period(received: date, period: Period) -> date:
    """The unrolled end of ``period`` counted from the day of receipt."""
    if period.months:
        return calendar_months_after(received, period.months)
    return received + timedelta(days=period.days)


# --- working days ----------------------------------------------------------------------

# holidays.HolidayBase fills in years lazily on lookup, mutating itself: one lock keeps
# concurrent requests in a threaded server from racing on that.
_holiday_lock = threading.Lock()


def normalise_country(country: str) -> str:
    """Return ``country`` upper-cased (``GB``, ``GB-ENG``) if the holiday calendar knows it.

    Raises ValidationError naming the code otherwise, so a tenant cannot be configured with
    a country whose holidays would silently be ignored.
    """
    code = (country or "").strip().upper()
    _holiday_calendar(code)
    return code


@lru_cache(maxsize=64)
def _holiday_calendar(code: str) -> holidays.HolidayBase:
    import holidays  # start-up: a command that counts no working day does not load every country's calendar

    alpha2, _, subdivision = code.partition("-")
    try:
        if _COUNTRY.fullmatch(code):
            return holidays.country_holidays(alpha2, subdiv=subdivision or None)
    except NotImplementedError:
        pass
    raise ValidationError(
        f"Unknown country {code!r}: expected an ISO 3166-1 alpha-2 code such as GB, FR "
        "or DE, optionally with a subdivision (GB-ENG, US-CA).",
        details={"field": "country", "value": code},
    )


def is_working_day(day: date, country: str) -> bool:
    """True from Monday to Friday unless ``day`` is a public holiday of ``country``."""
    if day.weekday() >= _SATURDAY:
        return False
    calendar_ = _holiday_calendar(country.strip().upper())
    with _holiday_lock:
        return day not in calendar_


def next_working_day(day: date, country: str) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day


def add_business_days(start: date, count: int, country: str) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
    day = start
    for _ in range(count):
        day = next_working_day(day + timedelta(days=1), country)
    return day


# --- a request's deadlines ----------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    """Every date the dashboard and the API show for one request.

    ``due_date`` is the original legal deadline (moved by pauses), ``extended_to`` the
    deadline after an extension (or None), ``legal_deadline`` whichever of the two is in
    force, ``policy_date`` the tenant's own promise (or None), ``target_date`` the earlier of
    ``legal_deadline`` and ``policy_date``, ``acknowledge_by`` the date receipt must be
    confirmed by (CCPA) or None.
    """

    due_date: date
    extended_to: date | None
    policy_date: date | None
    target_date: date
    acknowledge_by: date | None

    @property
    def legal_deadline(self) -> date:
        return self.extended_to or self.due_date


def clock_start(received: date, now: datetime) -> datetime:
    """When the clock of a request received on ``received`` starts: ``now`` when that is
    today, else the start of that day (00:00 UTC), so a request entered late is not given
    the days it waited on a desk."""
    _require_date(received, "received")
    if received == now.astimezone(timezone.utc).date():
        return now
    return datetime.combine(received, time.min, tzinfo=timezone.utc)


def target_is_the_policy_date(target: date, policy_date: date | None, legal_deadline: date) -> bool:
    """Whether the target is the tenant's own promise (earlier than the law's limit), which
    the subject's page and the dashboard then name as such."""
    return policy_date is not None and target == policy_date and policy_date < legal_deadline


def compute_deadlines(
    regime: Regime,
    received: date,
    country: str,
    *,
    paused_days: int = 0,
    extended: bool = False,
    policy_days: int | None = None,
) -> Deadlines:
    """Compute a request's deadlines from its regime, day of receipt and clock history.

    Raises ValidationError for a history the regime cannot have (pauses where the clock
    never stops, an extension where none exists, negative numbers).
    """
    _require_date(received, "received")
    _check_history(regime, paused_days, extended)
    due = _legal_date(regime.period, received, country, paused_days)
    extended_to = None
    if extended and regime.extended_period:
        extended_to = _legal_date(regime.extended_period, received, country, paused_days)
    policy_date = _policy_date(received, policy_days, paused_days)
    legal = extended_to or due
    acknowledge_by = None
    if regime.acknowledge_business_days is not None:
        acknowledge_by = add_business_days(received, regime.acknowledge_business_days, country)
    return Deadlines(
        due_date=due,
        extended_to=extended_to,
        policy_date=policy_date,
        target_date=min(legal, policy_date) if policy_date else legal,
        acknowledge_by=acknowledge_by,
    )


def _legal_date(period: Period, received: date, country: str, paused_days: int) -> date:
    # Pauses shift the unrolled date; the roll comes last, so a pause that ends on a Friday
    # deadline does not inherit a Monday from the unpaused calculation.
    return next_working_day(add_period(received, period) + timedelta(days=paused_days), country)


def _policy_date(received: date, policy_days: int | None, paused_days: int) -> date | None:
    if policy_days is None:
        return None
    if policy_days < 1:
        raise ValidationError(
            "Policy days must be at least 1 (leave it empty for no policy promise).",
            details={"field": "policy_days"},
        )
    return received + timedelta(days=policy_days + paused_days)


def _check_history(regime: Regime, paused_days: int, extended: bool) -> None:
    if paused_days < 0:
        raise ValidationError("Paused days cannot be negative.", details={"field": "paused_days"})
    if paused_days and not regime.pauses:
        raise ValidationError(
            f"A request under {regime.name} cannot have paused days: its clock never stops.",
            details={"field": "paused_days", "regime": regime.code},
        )
    if extended and not regime.extendable:
        raise ValidationError(
            f"A request under {regime.name} cannot be extended.",
            details={"field": "extended", "regime": regime.code},
        )


def _require_date(value: date, name: str) -> None:
    # A datetime is a date subclass: it would slip through and compare badly with dates.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")


# --- actions on the clock -------------------------------------------------------------------


def check_can_extend(
    regime: Regime,
    received: date,
    today: date,
    *,
    country: str,
    already_extended: bool,
    paused_days: int = 0,
) -> None:
    """Raise Conflict unless the request may be extended today.

    An extension exists only where the regime provides one, is granted once, and must be
    notified within the original period (GDPR Art. 12(3) "within one month of receipt";
    CCPA §7021(b) "within the first 45-day period"), i.e. while today <= the original
    legal deadline, moved by pauses and rolled to a working day.
    """
    if not regime.extendable:
        raise Conflict(
            f"{regime.name} allows no extension of the response period.",
            details={"regime": regime.code},
        )
    if already_extended:
        raise Conflict("This request has already been extended; only one extension is allowed.")
    due = compute_deadlines(regime, received, country, paused_days=paused_days).due_date
    if today > due:
        raise Conflict(
            f"An extension must be notified before the original deadline ({due.isoformat()}) "
            "has passed.",
            details={"due_date": due.isoformat()},
        )


def check_can_pause(regime: Regime) -> None:
    """Raise Conflict if the regime's clock cannot stop while waiting for the subject."""
    if not regime.pauses:
        raise Conflict(
            f"The clock cannot be paused under {regime.name}: the period runs from receipt "
            "whatever is pending.",
            details={"regime": regime.code},
        )


def days_left(target: date, today: date) -> int:
    """Whole days from ``today`` to ``target``: 0 on the day itself, negative when overdue."""
    return (target - today).days


# --- erasure grace period ---------------------------------------------------------------------


def erasure_execution_date(start: date, grace_days: int, due_date: date) -> date:
    """When a scheduled erasure runs: after ``grace_days`` from ``start``, never after ``due_date``.

    Pass the legal deadline in force (``Deadlines.legal_deadline``) as ``due_date``.
    """
    if grace_days < 0:
        raise ValidationError("Grace days cannot be negative.", details={"field": "grace_days"})
    return min(start + timedelta(days=grace_days), due_date)


@lru_cache(maxsize=32)
def shortest_response_days(regime: Regime) -> int:
    """The fewest calendar days from receipt to the regime's unrolled deadline.

    For month periods that is the shortest month run (1 month: 31 Jan -> 28 Feb, 28 days);
    four consecutive years hold every month-end case, leap year included.
    """
    if regime.period.days:
        return regime.period.days
    start = date(2023, 1, 1)
    return min(
        (add_period(day, regime.period) - day).days
        for day in (start + timedelta(days=n) for n in range(4 * 366))
    )


def grace_can_outlast_deadline(regime: Regime, grace_days: int) -> bool:
    """True if an erasure grace period of ``grace_days`` can end after the legal deadline.

    Used to warn when a tenant is configured: e.g. 30 grace days under gdpr, receipt on
    31 Jan, deadline 28 Feb. Counted from the day of receipt, the earliest a grace period
    can start, and ignoring working-day rolls and pauses, which only lengthen the period:
    True means some requests will be capped at the deadline (erasure_execution_date does
    the capping); False means none scheduled on the day of receipt will be.
    """
    return grace_days > shortest_response_days(regime)
