"""How close a request is to its target date, as the queue and request page show it.

The target is the date the tenant promised (the earlier of the legal deadline in force and
the policy date, SPEC §3): the subject's status page shows the same date. Green: more than
7 days left; amber: 7 or fewer; red: 2 or fewer; overdue: past the target while the clock
runs — and where only the policy promise has passed, the badge says so and counts the days
left until the legal deadline. A paused request waits for the subject (its count stands
still); a closed one has no clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timezone

from dsar.domain import deadlines as dl
from dsar.models import RightsRequest
from dsar.services.lifecycle import days_left, legal_deadline

AMBER_DAYS = 7
RED_DAYS = 2


@dataclass(frozen=True)
class Badge:
    colour: str  # green | amber | red | overdue | paused | closed
    text: str


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def badge(request: RightsRequest, today: date) -> Badge:
    left = days_left(request, today)
    if left is None:
        return Badge("closed", request.status.replace("_", " "))
    if request.status == "paused":
        return Badge("paused", f"paused, {_days(left)} left")
    if left < 0:
        legal_left = _legal_days_left(request, today)
        if legal_left >= 0:
            return Badge("overdue", f"policy date passed {_days(-left)} ago; "
                                    f"legal deadline {'today' if legal_left == 0 else 'in ' + _days(legal_left)}")
        return Badge("overdue", f"overdue by {_days(-left)}")
    text = "due today" if left == 0 else f"{_days(left)} left"
    if left <= RED_DAYS:
        return Badge("red", text)
    return Badge("amber" if left <= AMBER_DAYS else "green", text)


def _legal_days_left(request: RightsRequest, today: date) -> int:
    if request.status == "paused" and request.paused_at is not None:
        today = min(today, request.paused_at.astimezone(timezone.utc).date())
    return dl.days_left(legal_deadline(request), today)
