"""The regime table and get_regime(): the data every deadline is computed from."""
from __future__ import annotations

import pytest

from dsar.domain.regimes import POLICY, REGIME_CODES, REGIMES, Period, get_regime
from dsar.errors import ValidationError


@pytest.mark.parametrize(
    ("code", "period", "extended_period", "pauses", "acknowledge"),
    [
        pytest.param("gdpr", Period(months=1), Period(months=3), True, None, id="gdpr"),
        pytest.param("uk_gdpr", Period(months=1), Period(months=3), True, None, id="uk_gdpr"),
        pytest.param("ccpa", Period(days=45), Period(days=90), False, 10, id="ccpa"),
        pytest.param("lgpd", Period(days=15), None, False, None, id="lgpd"),
    ],
)
def test_built_in_regimes_say_what_the_law_says(code, period, extended_period, pauses, acknowledge):
    regime = get_regime(code)
    assert regime.code == code
    assert regime.period == period
    assert regime.extended_period == extended_period
    assert regime.pauses is pauses
    assert regime.acknowledge_business_days == acknowledge
    assert regime.source


def test_every_regime_of_the_spec_is_known():
    assert set(REGIME_CODES) == {"gdpr", "uk_gdpr", "ccpa", "lgpd", "policy"}
    assert POLICY not in REGIMES


def test_regime_table_is_read_only():
    with pytest.raises(TypeError):
        REGIMES["gdpr"] = REGIMES["lgpd"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("settings", "extended_period", "pauses"),
    [
        pytest.param({}, None, False, id="no-extension-no-pause-by-default"),
        pytest.param({"policy_extension_days": 15, "policy_pauses": True}, Period(days=45), True,
                     id="extension-and-pause"),
    ],
)
def test_policy_regime_is_built_from_tenant_settings(settings, extended_period, pauses):
    regime = get_regime("policy", policy_days=30, **settings)
    assert regime.period == Period(days=30)
    assert regime.extended_period == extended_period
    assert regime.pauses is pauses


def test_gdpr_pausing_can_be_switched_off():
    assert get_regime("gdpr", gdpr_pauses=False).pauses is False
    assert REGIMES["gdpr"].pauses is True  # the table itself is untouched


ALL_SETTINGS = {"policy_days": 10, "policy_extension_days": 5, "policy_pauses": True, "gdpr_pauses": False}


@pytest.mark.parametrize("code", ["uk_gdpr", "ccpa", "lgpd"])
def test_settings_never_change_a_clock_fixed_by_law(code):
    assert get_regime(code, **ALL_SETTINGS) is REGIMES[code]


@pytest.mark.parametrize(
    ("code", "kwargs", "message"),
    [
        pytest.param("hipaa", {}, "Unknown regime 'hipaa'", id="unknown-regime"),
        pytest.param("policy", {}, "at least 1 day", id="policy-without-days"),
        pytest.param("policy", {"policy_days": 0}, "at least 1 day", id="policy-zero-days"),
        pytest.param("policy", {"policy_days": 30, "policy_extension_days": -1}, "negative",
                     id="policy-negative-extension"),
    ],
)
def test_bad_regime_settings_are_refused(code, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        get_regime(code, **kwargs)


@pytest.mark.parametrize(
    ("months", "days"),
    [pytest.param(0, 0, id="empty"), pytest.param(1, 30, id="both"), pytest.param(-1, 0, id="negative")],
)
def test_a_period_is_months_or_days(months, days):
    with pytest.raises(ValidationError):
        Period(months=months, days=days)


@pytest.mark.parametrize(
    ("period", "words"),
    [
        pytest.param(Period(months=1), "1 calendar month", id="one-month"),
        pytest.param(Period(months=3), "3 calendar months", id="three-months"),
        pytest.param(Period(days=45), "45 days", id="days"),
    ],
)
def test_period_describes_itself(period, words):
    assert period.describe() == words
