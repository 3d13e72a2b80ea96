"""How close a request is to its target date, as the queue and request page show it.

Green: more than 7 days left; amber: 7 or fewer; red: 2 or fewer; overdue: past the
target date while the clock runs. A paused request waits for the subject (its count stands
still); a closed one has no clock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dsar.models import RightsRequest
from dsar.services.lifecycle import days_left

AMBER_DAYS = 7
RED_DAYS = 2


@dataclass(frozen=True)
class Badge:
    colour: str  # green | amber | red | overdue | paused | closed
    text: str


def badge(request: RightsRequest, today: date) -> Badge:
    left = days_left(request, today)
    if left is None:
        return Badge("closed", request.status.replace("_", " "))
    if request.status == "paused":
        return Badge("paused", f"paused, {left} day{'s' if left != 1 else ''} left")
    if left < 0:
        return Badge("overdue", f"overdue by {-left} day{'s' if left != -1 else ''}")
    text = "due today" if left == 0 else f"{left} day{'s' if left != 1 else ''} left"
    if left <= RED_DAYS:
        return Badge("red", text)
    return Badge("amber" if left <= AMBER_DAYS else "green", text)
