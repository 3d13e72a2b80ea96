"""Deadlines: worked examples a DPO can check with a calendar, then properties for the rest."""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsar.domain.deadlines import (
    Deadlines,
    add_business_days,
    calendar_months_after,
    clock_start,
    check_can_extend,
    check_can_pause,
    compute_deadlines,
    days_left,
    erasure_execution_date,
    grace_can_outlast_deadline,
    is_working_day,
    next_working_day,
    normalise_country,
    shortest_response_days,
    target_is_the_policy_date,
)
from dsar.domain.regimes import get_regime
from dsar.errors import Conflict, ValidationError

D = date
GDPR = get_regime("gdpr")
UK = get_regime("uk_gdpr")
CCPA = get_regime("ccpa")
LGPD = get_regime("lgpd")
POLICY_30 = get_regime("policy", policy_days=30, policy_extension_days=15, policy_pauses=True)
POLICY_FIXED = get_regime("policy", policy_days=30)


# --- the month rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "months", "expected"),
    [
        pytest.param(D(2025, 1, 15), 1, D(2025, 2, 15), id="mid-month-same-date"),
        pytest.param(D(2025, 1, 31), 1, D(2025, 2, 28), id="31-jan-to-28-feb"),
        pytest.param(D(2028, 1, 31), 1, D(2028, 2, 29), id="31-jan-leap-year-to-29-feb"),
        pytest.param(D(2025, 1, 29), 1, D(2025, 2, 28), id="29-jan-non-leap-to-28-feb"),
        pytest.param(D(2025, 8, 31), 1, D(2025, 9, 30), id="31-aug-to-30-sep"),
        pytest.param(D(2025, 11, 30), 1, D(2025, 12, 30), id="30-nov-to-30-dec-not-month-end"),
        pytest.param(D(2025, 2, 28), 1, D(2025, 3, 28), id="28-feb-to-28-mar"),
        pytest.param(D(2025, 12, 31), 1, D(2026, 1, 31), id="31-dec-across-year"),
        pytest.param(D(2025, 1, 31), 3, D(2025, 4, 30), id="three-months-31-jan-to-30-apr"),
        pytest.param(D(2024, 11, 30), 3, D(2025, 2, 28), id="three-months-30-nov-to-28-feb"),
        pytest.param(D(2025, 10, 31), 3, D(2026, 1, 31), id="three-months-across-year"),
        pytest.param(D(2025, 3, 10), 0, D(2025, 3, 10), id="zero-months"),
    ],
)
def test_calendar_months_after(received, months, expected):
    assert calendar_months_after(received, months) == expected


def test_negative_months_are_refused():
    with pytest.raises(ValidationError):
        calendar_months_after(D(2025, 1, 1), -1)


# --- working days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "country", "expected"),
    [
        pytest.param(D(2025, 2, 28), "GB", D(2025, 2, 28), id="friday-stays"),
        pytest.param(D(2026, 2, 28), "GB", D(2026, 3, 2), id="saturday-to-monday"),
        pytest.param(D(2026, 3, 1), "GB", D(2026, 3, 2), id="sunday-to-monday"),
        pytest.param(D(2025, 12, 25), "GB", D(2025, 12, 29), id="gb-christmas-boxing-weekend"),
        pytest.param(D(2026, 12, 25), "GB", D(2026, 12, 29), id="gb-boxing-day-substitute-monday"),
        pytest.param(D(2025, 5, 1), "FR", D(2025, 5, 2), id="fr-1-may"),
        pytest.param(D(2025, 5, 8), "FR", D(2025, 5, 9), id="fr-8-may"),
        pytest.param(D(2025, 5, 1), "GB", D(2025, 5, 1), id="gb-1-may-is-a-working-day"),
        pytest.param(D(2025, 10, 3), "DE", D(2025, 10, 6), id="de-3-oct-friday-to-monday"),
        pytest.param(D(2025, 4, 21), "FR", D(2025, 4, 22), id="fr-easter-monday"),
        pytest.param(D(2025, 4, 18), "DE", D(2025, 4, 22), id="de-good-friday-to-after-easter"),
        pytest.param(D(2025, 4, 21), "GB", D(2025, 4, 21), id="gb-easter-monday-not-uk-wide"),
        pytest.param(D(2025, 4, 21), "GB-ENG", D(2025, 4, 22), id="gb-eng-easter-monday"),
        pytest.param(D(2025, 8, 25), "gb-eng", D(2025, 8, 26), id="gb-eng-summer-bank-holiday"),
        pytest.param(D(2025, 8, 25), "GB-SCT", D(2025, 8, 25), id="gb-sct-no-late-august-holiday"),
        pytest.param(D(2025, 11, 27), "US", D(2025, 11, 28), id="us-thanksgiving"),
    ],
)
def test_next_working_day(day, country, expected):
    assert next_working_day(day, country) == expected


@pytest.mark.parametrize(
    "country",
    [pytest.param("XX", id="unknown"), pytest.param("", id="empty"),
     pytest.param("GB-XX", id="unknown-subdivision"), pytest.param("GBR", id="alpha-3")],
)
def test_unknown_country_is_a_clear_validation_error(country):
    with pytest.raises(ValidationError, match="ISO 3166-1 alpha-2") as caught:
        normalise_country(country)
    assert caught.value.details["field"] == "country"
    with pytest.raises(ValidationError):
        compute_deadlines(GDPR, D(2025, 1, 1), country)


def test_normalise_country_upper_cases():
    assert normalise_country(" gb-eng ") == "GB-ENG"


@pytest.mark.parametrize(
    ("start", "count", "country", "expected"),
    [
        pytest.param(D(2025, 3, 3), 10, "US", D(2025, 3, 17), id="two-plain-weeks"),
        pytest.param(D(2025, 3, 7), 1, "US", D(2025, 3, 10), id="friday-plus-one-is-monday"),
        pytest.param(D(2025, 12, 19), 10, "US", D(2026, 1, 6), id="over-christmas-and-new-year"),
        pytest.param(D(2025, 11, 20), 10, "US", D(2025, 12, 5), id="over-thanksgiving"),
        pytest.param(D(2025, 3, 3), 0, "US", D(2025, 3, 3), id="zero-days"),
    ],
)
def test_add_business_days(start, count, country, expected):
    assert add_business_days(start, count, country) == expected


# --- every regime, worked examples -----------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "received", "country", "due"),
    [
        pytest.param(GDPR, D(2025, 1, 31), "GB", D(2025, 2, 28), id="gdpr-31-jan-friday"),
        pytest.param(GDPR, D(2028, 1, 31), "GB", D(2028, 2, 29), id="gdpr-31-jan-leap"),
        pytest.param(GDPR, D(2026, 1, 31), "GB", D(2026, 3, 2), id="gdpr-28-feb-saturday-rolls"),
        pytest.param(GDPR, D(2025, 8, 31), "GB", D(2025, 9, 30), id="gdpr-31-aug-to-30-sep"),
        pytest.param(UK, D(2025, 11, 25), "GB", D(2025, 12, 29), id="uk-gdpr-christmas"),
        pytest.param(UK, D(2025, 3, 18), "GB", D(2025, 4, 21), id="uk-gdpr-good-friday"),
        pytest.param(GDPR, D(2025, 4, 1), "FR", D(2025, 5, 2), id="gdpr-fr-1-may"),
        pytest.param(GDPR, D(2025, 9, 3), "DE", D(2025, 10, 6), id="gdpr-de-3-oct"),
        pytest.param(GDPR, D(2025, 3, 21), "FR", D(2025, 4, 22), id="gdpr-fr-easter-monday"),
        pytest.param(CCPA, D(2025, 3, 3), "US", D(2025, 4, 17), id="ccpa-45-days"),
        pytest.param(CCPA, D(2025, 1, 2), "US", D(2025, 2, 18), id="ccpa-sunday-then-presidents-day"),
        pytest.param(LGPD, D(2025, 3, 3), "BR", D(2025, 3, 18), id="lgpd-15-days"),
        pytest.param(LGPD, D(2025, 4, 6), "BR", D(2025, 4, 22), id="lgpd-tiradentes-holiday"),
        pytest.param(POLICY_FIXED, D(2025, 3, 3), "GB", D(2025, 4, 2), id="policy-30-days"),
        pytest.param(POLICY_FIXED, D(2025, 11, 26), "GB", D(2025, 12, 29), id="policy-christmas"),
    ],
)
def test_legal_deadline_of_every_regime(regime, received, country, due):
    deadlines = compute_deadlines(regime, received, country)
    assert deadlines.due_date == due
    assert deadlines.extended_to is None
    assert deadlines.legal_deadline == due
    assert deadlines.target_date == due


@pytest.mark.parametrize(
    ("received", "country", "acknowledge_by"),
    [
        pytest.param(D(2025, 3, 3), "US", D(2025, 3, 17), id="plain-weeks"),
        pytest.param(D(2025, 12, 19), "US", D(2026, 1, 6), id="over-christmas-and-new-year"),
        pytest.param(D(2025, 1, 2), "US", D(2025, 1, 16), id="before-mlk-day"),
        pytest.param(D(2025, 1, 6), "US", D(2025, 1, 21), id="over-mlk-day"),
    ],
)
def test_ccpa_acknowledgement_within_10_business_days(received, country, acknowledge_by):
    assert compute_deadlines(CCPA, received, country).acknowledge_by == acknowledge_by


@pytest.mark.parametrize("regime", [GDPR, UK, LGPD, POLICY_FIXED], ids=lambda r: r.code)
def test_only_ccpa_has_an_acknowledgement_date(regime):
    assert compute_deadlines(regime, D(2025, 3, 3), "GB").acknowledge_by is None


# --- policy promise and target ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "received", "policy_days", "due", "policy_date", "target"),
    [
        pytest.param(GDPR, D(2025, 3, 1), 20, D(2025, 4, 1), D(2025, 3, 21), D(2025, 3, 21),
                     id="policy-earlier-than-legal"),
        pytest.param(GDPR, D(2025, 1, 31), 30, D(2025, 2, 28), D(2025, 3, 2), D(2025, 2, 28),
                     id="legal-earlier-than-policy-at-month-end"),
        pytest.param(CCPA, D(2025, 3, 3), 30, D(2025, 4, 17), D(2025, 4, 2), D(2025, 4, 2),
                     id="ccpa-with-30-day-promise"),
        pytest.param(GDPR, D(2025, 3, 3), 33, D(2025, 4, 3), D(2025, 4, 5), D(2025, 4, 3),
                     id="policy-not-rolled-off-saturday"),
        pytest.param(GDPR, D(2025, 3, 8), 28, D(2025, 4, 8), D(2025, 4, 5), D(2025, 4, 5),
                     id="policy-on-saturday-is-the-target"),
    ],
)
def test_target_is_the_earlier_of_legal_and_policy(regime, received, policy_days, due, policy_date, target):
    deadlines = compute_deadlines(regime, received, "GB", policy_days=policy_days)
    assert (deadlines.due_date, deadlines.policy_date, deadlines.target_date) == (due, policy_date, target)


def test_policy_promise_still_binds_after_a_legal_extension():
    deadlines = compute_deadlines(GDPR, D(2025, 3, 3), "GB", extended=True, policy_days=30)
    assert deadlines.legal_deadline == D(2025, 6, 3)
    assert deadlines.target_date == D(2025, 4, 2)


def test_policy_days_must_be_positive():
    with pytest.raises(ValidationError, match="at least 1"):
        compute_deadlines(GDPR, D(2025, 3, 3), "GB", policy_days=0)


# --- extension ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "received", "country", "due", "extended_to"),
    [
        pytest.param(GDPR, D(2025, 1, 31), "GB", D(2025, 2, 28), D(2025, 4, 30), id="gdpr-3-months-from-receipt"),
        pytest.param(UK, D(2024, 11, 30), "GB", D(2024, 12, 30), D(2025, 2, 28), id="uk-gdpr-to-28-feb"),
        pytest.param(GDPR, D(2025, 2, 26), "DE", D(2025, 3, 26), D(2025, 5, 26), id="gdpr-plain"),
        pytest.param(GDPR, D(2025, 7, 3), "DE", D(2025, 8, 4), D(2025, 10, 6), id="gdpr-de-unity-day"),
        pytest.param(CCPA, D(2025, 1, 2), "US", D(2025, 2, 18), D(2025, 4, 2), id="ccpa-plus-45"),
        pytest.param(POLICY_30, D(2025, 3, 3), "GB", D(2025, 4, 2), D(2025, 4, 17), id="policy-plus-15"),
    ],
)
def test_extension(regime, received, country, due, extended_to):
    deadlines = compute_deadlines(regime, received, country, extended=True)
    assert deadlines.due_date == due
    assert deadlines.extended_to == extended_to
    assert deadlines.legal_deadline == extended_to
    assert deadlines.target_date == extended_to


@pytest.mark.parametrize(
    ("regime", "received", "today", "country"),
    [
        pytest.param(GDPR, D(2025, 1, 31), D(2025, 1, 31), "GB", id="gdpr-on-day-of-receipt"),
        pytest.param(GDPR, D(2025, 1, 31), D(2025, 2, 28), "GB", id="gdpr-on-the-deadline"),
        pytest.param(GDPR, D(2026, 1, 31), D(2026, 3, 2), "GB", id="gdpr-on-rolled-deadline"),
        pytest.param(CCPA, D(2025, 1, 2), D(2025, 2, 18), "US", id="ccpa-within-45-days"),
        pytest.param(POLICY_30, D(2025, 3, 3), D(2025, 3, 20), "GB", id="policy-with-extension"),
    ],
)
def test_extension_allowed_within_the_original_period(regime, received, today, country):
    assert check_can_extend(regime, received, today, country=country, already_extended=False) is None


@pytest.mark.parametrize(
    ("regime", "received", "today", "kwargs", "message"),
    [
        pytest.param(GDPR, D(2025, 1, 31), D(2025, 2, 1), {"already_extended": True}, "already been extended",
                     id="second-extension"),
        pytest.param(GDPR, D(2025, 1, 31), D(2025, 3, 1), {"already_extended": False}, r"before the original deadline \(2025-02-28\)",
                     id="after-the-first-month"),
        pytest.param(GDPR, D(2025, 1, 31), D(2025, 3, 4), {"already_extended": False, "paused_days": 3},
                     r"\(2025-03-03\)", id="after-first-month-moved-by-pause"),
        pytest.param(CCPA, D(2025, 1, 2), D(2025, 2, 19), {"already_extended": False}, "original deadline",
                     id="ccpa-after-45-days"),
        pytest.param(LGPD, D(2025, 3, 3), D(2025, 3, 4), {"already_extended": False}, "LGPD.*allows no extension",
                     id="lgpd-never"),
        pytest.param(POLICY_FIXED, D(2025, 3, 3), D(2025, 3, 4), {"already_extended": False}, "no extension",
                     id="policy-without-extension-days"),
    ],
)
def test_extension_refusals(regime, received, today, kwargs, message):
    country = "US" if regime is CCPA else "GB"
    with pytest.raises(Conflict, match=message):
        check_can_extend(regime, received, today, country=country, **kwargs)


def test_extended_history_on_a_regime_without_extension_is_invalid():
    with pytest.raises(ValidationError, match="cannot be extended"):
        compute_deadlines(LGPD, D(2025, 3, 3), "BR", extended=True)


# --- pause -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "received", "paused_days", "country", "due"),
    [
        pytest.param(GDPR, D(2025, 1, 31), 3, "GB", D(2025, 3, 3), id="gdpr-3-days-onto-monday"),
        pytest.param(GDPR, D(2025, 1, 31), 1, "GB", D(2025, 3, 3), id="gdpr-1-day-onto-saturday-rolls"),
        pytest.param(GDPR, D(2026, 1, 31), 2, "GB", D(2026, 3, 2), id="pause-added-before-roll-not-after"),
        pytest.param(UK, D(2025, 11, 20), 5, "GB", D(2025, 12, 29), id="uk-gdpr-pause-into-christmas"),
        pytest.param(POLICY_30, D(2025, 3, 3), 10, "GB", D(2025, 4, 14), id="policy-that-pauses"),
    ],
)
def test_pause_moves_the_deadline_by_the_days_paused(regime, received, paused_days, country, due):
    assert compute_deadlines(regime, received, country, paused_days=paused_days).due_date == due


def test_pause_moves_extension_and_policy_date_too():
    deadlines = compute_deadlines(GDPR, D(2025, 1, 31), "GB", paused_days=3, extended=True, policy_days=30)
    assert deadlines == Deadlines(
        due_date=D(2025, 3, 3),
        extended_to=D(2025, 5, 6),  # 30 Apr + 3 = Sat 3 May, Mon 5 May is the early May bank holiday
        policy_date=D(2025, 3, 5),
        target_date=D(2025, 3, 5),
        acknowledge_by=None,
    )


@pytest.mark.parametrize("regime", [GDPR, UK, POLICY_30], ids=lambda r: r.code)
def test_pause_allowed(regime):
    assert check_can_pause(regime) is None


@pytest.mark.parametrize(
    "regime",
    [CCPA, LGPD, POLICY_FIXED, get_regime("gdpr", gdpr_pauses=False)],
    ids=["ccpa", "lgpd", "policy-default", "gdpr-switched-off"],
)
def test_pause_refused_where_the_clock_never_stops(regime):
    with pytest.raises(Conflict, match="cannot be paused"):
        check_can_pause(regime)
    with pytest.raises(ValidationError, match="never stops"):
        compute_deadlines(regime, D(2025, 3, 3), "GB", paused_days=2)


def test_negative_pause_is_invalid():
    with pytest.raises(ValidationError, match="negative"):
        compute_deadlines(GDPR, D(2025, 3, 3), "GB", paused_days=-1)


def test_a_datetime_is_refused_so_callers_convert_explicitly():
    with pytest.raises(TypeError, match="datetime.date"):
        compute_deadlines(GDPR, datetime(2025, 3, 3, tzinfo=timezone.utc), "GB")


# --- days left ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "today", "left"),
    [
        pytest.param(D(2025, 3, 10), D(2025, 3, 1), 9, id="ahead"),
        pytest.param(D(2025, 3, 10), D(2025, 3, 10), 0, id="due-today"),
        pytest.param(D(2025, 3, 10), D(2025, 3, 12), -2, id="overdue"),
    ],
)
def test_days_left(target, today, left):
    assert days_left(target, today) == left


# --- erasure grace period -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "grace_days", "due", "expected"),
    [
        pytest.param(D(2025, 1, 31), 30, D(2025, 2, 28), D(2025, 2, 28), id="capped-by-the-deadline"),
        pytest.param(D(2025, 3, 1), 30, D(2025, 4, 1), D(2025, 3, 31), id="grace-ends-first"),
        pytest.param(D(2025, 3, 1), 0, D(2025, 4, 1), D(2025, 3, 1), id="no-grace"),
    ],
)
def test_erasure_execution_date(start, grace_days, due, expected):
    assert erasure_execution_date(start, grace_days, due) == expected


def test_negative_grace_is_invalid():
    with pytest.raises(ValidationError):
        erasure_execution_date(D(2025, 3, 1), -1, D(2025, 4, 1))


@pytest.mark.parametrize(
    ("regime", "grace_days", "warn"),
    [
        pytest.param(GDPR, 30, True, id="gdpr-30-days-31-jan-to-28-feb"),
        pytest.param(GDPR, 28, False, id="gdpr-28-days-always-fits"),
        pytest.param(GDPR, 29, True, id="gdpr-29-days"),
        pytest.param(UK, 30, True, id="uk-gdpr-30-days"),
        pytest.param(CCPA, 30, False, id="ccpa-30-days-fits-45"),
        pytest.param(CCPA, 46, True, id="ccpa-46-days"),
        pytest.param(LGPD, 30, True, id="lgpd-30-days-exceeds-15"),
        pytest.param(POLICY_FIXED, 30, False, id="policy-30-days-equal"),
    ],
)
def test_grace_can_outlast_deadline(regime, grace_days, warn):
    assert grace_can_outlast_deadline(regime, grace_days) is warn


@pytest.mark.parametrize(
    ("regime", "days"),
    [pytest.param(GDPR, 28, id="one-month"), pytest.param(get_regime("policy", policy_days=7), 7, id="policy-7"),
     pytest.param(LGPD, 15, id="lgpd")],
)
def test_shortest_response_days(regime, days):
    assert shortest_response_days(regime) == days


def test_grace_warning_example_is_real():
    # The warning's own example: receipt 31 Jan, 30 grace days end 2 Mar, deadline 28 Feb.
    due = compute_deadlines(GDPR, D(2025, 1, 31), "GB").due_date
    assert D(2025, 1, 31) + timedelta(days=30) > due
    assert erasure_execution_date(D(2025, 1, 31), 30, due) == D(2025, 2, 28)


# --- properties --------------------------------------------------------------------------------------

COUNTRIES = ["GB", "GB-ENG", "FR", "DE", "US", "BR"]
REGIMES = [GDPR, UK, CCPA, LGPD, POLICY_30]
dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2060, 12, 31))
countries = st.sampled_from(COUNTRIES)
regimes = st.sampled_from(REGIMES)
pauses = st.integers(min_value=0, max_value=120)
slow = settings(deadline=None, max_examples=300)


def _pausable(regime, paused_days):
    return paused_days if regime.pauses else 0


@slow
@given(regimes, dates, countries, st.booleans(), pauses)
def test_deadline_never_before_receipt_and_always_a_working_day(regime, received, country, extended, paused):
    deadlines = compute_deadlines(
        regime, received, country, extended=extended and regime.extendable, paused_days=_pausable(regime, paused)
    )
    for deadline in filter(None, (deadlines.due_date, deadlines.extended_to, deadlines.acknowledge_by)):
        assert deadline > received
        assert deadline.weekday() < 5
        assert deadline not in holidays.country_holidays(*_split(country))
        assert is_working_day(deadline, country)


def _split(country):
    alpha2, _, subdivision = country.partition("-")
    return alpha2, subdivision or None


@slow
@given(regimes, dates, dates, countries)
def test_deadline_is_monotonic_in_receipt(regime, first, second, country):
    earlier, later = sorted((first, second))
    assert compute_deadlines(regime, earlier, country).due_date <= compute_deadlines(regime, later, country).due_date


@given(dates, st.integers(min_value=0, max_value=36))
def test_month_rule_holds_for_every_date(received, months):
    result = calendar_months_after(received, months)
    month_index = received.year * 12 + received.month - 1 + months
    assert (result.year, result.month - 1) == divmod(month_index, 12)
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(received.day, last_day)


@given(st.integers(min_value=2000, max_value=2060), st.integers(min_value=1, max_value=12))
def test_month_rule_at_every_month_end(year, month):
    received = D(year, month, calendar.monthrange(year, month)[1])
    result = calendar_months_after(received, 1)
    next_month_end = calendar.monthrange(result.year, result.month)[1]
    assert result.month == month % 12 + 1
    assert result.day == received.day or result.day == next_month_end


@slow
@given(regimes, dates, countries, pauses)
def test_extension_never_earlier_than_the_normal_deadline(regime, received, country, paused):
    if not regime.extendable:
        return
    paused = _pausable(regime, paused)
    deadlines = compute_deadlines(regime, received, country, extended=True, paused_days=paused)
    assert deadlines.extended_to >= deadlines.due_date


@slow
@given(st.sampled_from([GDPR, UK, POLICY_30]), dates, countries, pauses, st.booleans())
def test_pause_never_moves_the_deadline_earlier(regime, received, country, paused, extended):
    before = compute_deadlines(regime, received, country, extended=extended)
    after = compute_deadlines(regime, received, country, extended=extended, paused_days=paused)
    assert after.legal_deadline >= before.legal_deadline


@slow
@given(regimes, dates, countries, st.integers(min_value=1, max_value=90))
def test_target_is_never_later_than_either_date(regime, received, country, policy_days):
    deadlines = compute_deadlines(regime, received, country, policy_days=policy_days)
    assert deadlines.target_date == min(deadlines.legal_deadline, deadlines.policy_date)


@given(dates, st.integers(min_value=0, max_value=60), dates)
def test_erasure_never_executes_after_the_deadline(start, grace_days, due):
    executed = erasure_execution_date(start, grace_days, due)
    assert executed <= due
    assert executed <= start + timedelta(days=grace_days)


# --- when the clock starts; which date the subject is told ----------------------------------------


@pytest.mark.parametrize(("received", "now", "start"), [
    pytest.param(D(2026, 12, 1), datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc),
                 datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc), id="today-is-now"),
    pytest.param(D(2026, 11, 27), datetime(2026, 12, 1, 15, 30, tzinfo=timezone.utc),
                 datetime(2026, 11, 27, 0, 0, tzinfo=timezone.utc), id="a-letter-from-friday-starts-friday"),
    pytest.param(D(2026, 12, 31), datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
                 datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), id="today-in-utc-not-local"),
])
def test_the_clock_starts_at_the_start_of_the_day_received(received, now, start):
    assert clock_start(received, now) == start


@pytest.mark.parametrize(("target", "policy", "legal", "promise"), [
    pytest.param(D(2026, 12, 31), D(2026, 12, 31), D(2027, 1, 4), True, id="policy-earlier"),
    pytest.param(D(2027, 1, 4), None, D(2027, 1, 4), False, id="no-policy"),
    pytest.param(D(2027, 2, 28), D(2027, 2, 28), D(2027, 2, 28), False, id="same-day-is-the-law"),
    pytest.param(D(2027, 1, 4), D(2027, 1, 10), D(2027, 1, 4), False, id="legal-earlier"),
])
def test_whether_the_target_is_the_policy_promise(target, policy, legal, promise):
    assert target_is_the_policy_date(target, policy, legal) is promise
