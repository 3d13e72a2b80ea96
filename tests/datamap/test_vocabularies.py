"""The vocabulary tables the loader reads instead of importing fideslang or Babel's locale data
are exactly what those packages hold."""
from dsar.datamap.schema import country_names, data_categories, is_country_code, is_data_category
from dsar.datamap.vocabularies import COUNTRY_CODES, DATA_CATEGORIES


def test_the_category_table_holds_exactly_the_installed_fideslang_categories():
    assert DATA_CATEGORIES == data_categories()


def test_the_country_table_holds_exactly_babels_two_letter_territories():
    assert COUNTRY_CODES == set(country_names())


def test_a_value_outside_a_table_is_still_asked_of_the_package(monkeypatch):
    monkeypatch.setattr("dsar.datamap.schema.DATA_CATEGORIES", frozenset())
    monkeypatch.setattr("dsar.datamap.schema.COUNTRY_CODES", frozenset())
    assert is_data_category("user.contact.email") and is_country_code("CH")
    assert not is_data_category("user.contact.emial") and not is_country_code("QQ")
