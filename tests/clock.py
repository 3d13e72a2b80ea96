"""The test clock: every test runs at a fixed, explicit moment, never at the wall clock.

- By default "now" is ``DEFAULT_NOW``. The clock ticks from there (time-machine's ``tick``),
  so timeouts and polling behave, but the date a test sees is always the one chosen here.
- ``--now=ISO`` (or ``DSAR_TEST_NOW=ISO``) moves "now" for every test of the run. ``make test``
  runs the tests marked ``calendar`` once more on each of ``HARD_DAYS``: a test that computes
  its expectation with a slip (``1 days``, a month of 30 days, a date in the local zone) or that
  reads a clock this process does not control fails there.
- ``@pytest.mark.clock("2026-12-01T10:00:00+00:00")`` pins one test to the moment its expected
  values were written for; ``--now`` does not move it (its worked example must keep holding).
- ``@pytest.mark.wall_clock(reason)`` marks a test whose other party keeps the real clock (a
  browser and its cookies, a subprocess, OpenSSL checking a certificate): it runs unpatched
  and must assert nothing that depends on the date.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

#: An ordinary working Wednesday, mid-month, far from any holiday.
DEFAULT_NOW = "2026-11-18T10:00:00+00:00"

#: The days that break date arithmetic written carelessly. `make test` runs the calendar tests on each.
HARD_DAYS = (
    "2027-01-31T10:00:00+00:00",  # the 31st, into a 28-day month
    "2028-02-29T10:00:00+00:00",  # leap day
    "2026-12-31T22:30:00+00:00",  # New Year's Eve; already 2027 in Central Europe
    "2027-03-28T00:30:00+00:00",  # Europe's clocks go forward at 01:00 UTC (and Easter Sunday)
    "2027-03-29T10:00:00+00:00",  # Easter Monday: a bank-holiday Monday in England
)


def pytest_addoption(parser) -> None:
    parser.addoption("--now", default=os.environ.get("DSAR_TEST_NOW") or DEFAULT_NOW,
                     help="the moment every test runs at (ISO 8601 with offset); default %(default)s")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "calendar: outcome depends on today's date; re-run on the hard days")
    config.addinivalue_line("markers", "clock(moment): pin this test to an ISO moment its expectations are written for")
    config.addinivalue_line("markers", "wall_clock(reason): the other party keeps the real clock; assert nothing date-bound")
    moment = parse_moment(config.getoption("--now"))
    config.stash[_RUN_NOW] = moment


def pytest_report_header(config) -> str:
    return f"test clock: {config.stash[_RUN_NOW].isoformat()} (--now / DSAR_TEST_NOW)"


def parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise pytest.UsageError(f"--now: {text!r} is not an ISO 8601 moment like {DEFAULT_NOW}") from None
    if moment.tzinfo is None:
        raise pytest.UsageError(f"--now: {text!r} needs a UTC offset, like {DEFAULT_NOW}")
    return moment.astimezone(timezone.utc)


_RUN_NOW = pytest.StashKey[datetime]()


@pytest.fixture(autouse=True)
def test_clock(request):
    """Every test runs at the run's moment, or at the one its ``clock`` mark pins."""
    # A real browser keeps the machine's clock for its cookies, so browser tests are wall-clock too.
    if request.node.get_closest_marker("wall_clock") or request.node.get_closest_marker("browser"):
        yield None
        return
    pinned = request.node.get_closest_marker("clock")
    moment = parse_moment(pinned.args[0]) if pinned else request.config.stash[_RUN_NOW]
    with time_machine.travel(moment, tick=True) as traveller:
        yield traveller


def dsar_command(*args: str) -> list[str]:
    """The argv of a `dsar` process that keeps this test's clock (it starts where the test is now).

    A child process reads the machine's clock unless told otherwise; rows a test wrote at its
    fixed moment would otherwise be judged against the real date.
    """
    now = datetime.now(timezone.utc).isoformat()  # the test clock, as patched here
    prelude = f"import time_machine; time_machine.travel({now!r}, tick=True).start(); "
    return [sys.executable, "-c", prelude + "from dsar.cli import main; main()", *args]


@dataclass(frozen=True)
class FromNow:
    """A moment relative to the test clock, for ``parametrize`` lists.

    Parameters are built when tests are collected, before any test clock is set, so a plain
    ``utcnow() + timedelta(days=30)`` there reads the machine's clock. Write
    ``FromNow(days=30, form="date")`` and let the test call ``resolve``.
    """

    days: float = 0
    form: str = "datetime"  # datetime | iso (an ISO 8601 string) | date (an ISO date string)

    def value(self):
        moment = datetime.now(timezone.utc) + timedelta(days=self.days)
        return {"datetime": moment, "iso": moment.isoformat(), "date": moment.date().isoformat()}[self.form]


def resolve(values: dict) -> dict:
    """``values`` with every ``FromNow`` turned into its moment on the test clock."""
    return {key: value.value() if isinstance(value, FromNow) else value for key, value in values.items()}


if __name__ == "__main__":  # `python -m tests.clock`: the hard days, one a line, for `make test`
    print("\n".join(HARD_DAYS))
