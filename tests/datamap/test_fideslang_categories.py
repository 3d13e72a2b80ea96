"""The data-category table the loader reads instead of importing fideslang is fideslang's own."""
from dsar.datamap.fideslang_categories import DATA_CATEGORIES
from dsar.datamap.schema import data_categories, is_data_category


def test_the_table_holds_exactly_the_installed_fideslang_categories():
    assert DATA_CATEGORIES == data_categories()


def test_a_key_outside_the_table_is_still_asked_of_fideslang(monkeypatch):
    monkeypatch.setattr("dsar.datamap.schema.DATA_CATEGORIES", frozenset())
    assert is_data_category("user.contact.email")
    assert not is_data_category("user.contact.emial")
