"""Where to complain: the tenant's one-line setting read as name, website and contact, and
each regime's default when the tenant has set none."""
from __future__ import annotations

import pytest

from dsar.domain.supervisory_authorities import (EDPB_MEMBERS, NO_AUTHORITY, Authority, parse_authority,
                                                 supervisory_authority)


@pytest.mark.parametrize("setting, expected", [
    ("Information Commissioner's Office (ico.org.uk)",
     Authority("Information Commissioner's Office", "https://ico.org.uk")),
    ("Information Commissioner's Office https://ico.org.uk/make-a-complaint/",
     Authority("Information Commissioner's Office", "https://ico.org.uk/make-a-complaint/")),
    ("CNIL https://www.cnil.fr/fr/plaintes 01 53 73 22 22",
     Authority("CNIL", "https://www.cnil.fr/fr/plaintes", "01 53 73 22 22")),
    ("AEPD (www.aepd.es), tel. 901 100 099", Authority("AEPD", "https://www.aepd.es", "tel. 901 100 099")),
    ("Datatilsynet, post@datatilsynet.no, www.datatilsynet.no",
     Authority("Datatilsynet", "https://www.datatilsynet.no", "post@datatilsynet.no")),
    ("  ICO  ", Authority("ICO")),
    ("Authority under Art. 51", Authority("Authority under Art. 51")),  # "Art. 51" is no web address
])
def test_the_setting_is_read_as_name_website_and_contact(setting, expected):
    assert parse_authority(setting) == expected


def test_a_set_authority_wins_over_the_regime_default():
    assert supervisory_authority("CNIL https://www.cnil.fr", "uk_gdpr") == Authority("CNIL", "https://www.cnil.fr")


def test_uk_tenants_default_to_the_ico_with_its_contact_details():
    ico = supervisory_authority("", "uk_gdpr")
    assert ico.name == "Information Commissioner's Office (ICO)"
    assert ico.website == "https://ico.org.uk/make-a-complaint/" and "0303 123 1113" in ico.contact
    assert not ico.note


def test_eu_tenants_without_an_authority_get_a_clear_note_and_the_edpb_list():
    eu = supervisory_authority("   ", "gdpr")
    assert eu.name == "" and eu.website == EDPB_MEMBERS
    assert eu.note.startswith("We have not named a lead supervisory authority in this letter.")


@pytest.mark.parametrize("regime, name", [("ccpa", "California Privacy Protection Agency"),
                                          ("lgpd", "Autoridade Nacional de Proteção de Dados (ANPD)")])
def test_other_regimes_name_their_authority(regime, name):
    assert supervisory_authority("", regime).name == name


def test_a_policy_only_tenant_without_one_says_so():
    assert supervisory_authority("", "policy") == NO_AUTHORITY and "ask us" in NO_AUTHORITY.note
