"""A tenant in the United Kingdom names its nation: England's, Scotland's, Wales' and
Northern Ireland's bank holidays differ, and so do deadlines (SPEC §3)."""
from datetime import date

import holidays
import pytest

from dsar.domain.deadlines import next_working_day, normalise_country
from dsar.domain.tenant_settings import REGIONAL_HOLIDAYS, check_country_region
from dsar.errors import ValidationError


@pytest.mark.parametrize("country", ["GB", "gb", " UK "])
def test_the_whole_united_kingdom_is_refused_naming_the_field_and_the_choices(country):
    with pytest.raises(ValidationError) as caught:
        check_country_region(country)
    assert caught.value.details["field"] == "country"
    assert caught.value.details["choices"] == ["GB-ENG", "GB-SCT", "GB-WLS", "GB-NIR"]
    assert "England, Scotland, Wales and Northern Ireland have different bank holidays" in caught.value.message


@pytest.mark.parametrize("country", ["GB-ENG", "gb-sct", "GB-WLS", "GB-NIR", "FR", "DE-BY", "US"])
def test_a_nation_or_another_country_is_accepted(country):
    check_country_region(country)


def test_the_choices_are_the_holidays_librarys_subdivisions():
    codes = {code for code, _ in REGIONAL_HOLIDAYS["GB"]}
    assert codes == {f"GB-{sub}" for sub in holidays.GB.subdivisions}
    assert all(normalise_country(code) == code for code in codes)


@pytest.mark.parametrize("day, country, moved_to", [
    (date(2026, 11, 30), "GB-SCT", date(2026, 12, 1)),   # St Andrew's Day: Scotland only
    (date(2026, 11, 30), "GB-ENG", date(2026, 11, 30)),
    (date(2027, 3, 29), "GB-ENG", date(2027, 3, 30)),    # Easter Monday: not in Scotland
    (date(2027, 3, 29), "GB-SCT", date(2027, 3, 29)),
    (date(2027, 3, 17), "GB-NIR", date(2027, 3, 18)),    # St Patrick's Day: Northern Ireland only
    (date(2027, 3, 17), "GB-WLS", date(2027, 3, 17)),
])
def test_deadlines_follow_the_nations_bank_holidays(day, country, moved_to):
    assert next_working_day(day, country) == moved_to
