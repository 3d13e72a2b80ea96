"""English, French, German and Spanish: chosen by the browser or the switcher, kept in the
session, carried into the subject's messages; every catalog translates every message."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from dsar.translations import CATALOGS, LANGUAGES
from tests.factories import make_tenant
from tests.portal.helpers import all_requests, last_mail, portal_submit

ROOT = Path(__file__).resolve().parents[2]
HEADINGS = {"en": "Your privacy rights with Acme", "fr": "Vos droits sur vos données auprès de Acme",
            "de": "Ihre Datenschutzrechte bei Acme", "es": "Sus derechos de privacidad ante Acme"}
SUBJECTS = {"en": "Confirm your privacy request", "fr": "Confirmez votre demande",
            "de": "Bestätigen Sie Ihren Datenschutzantrag", "es": "Confirme su solicitud de privacidad"}


@pytest.fixture
def tenant(app):
    return make_tenant("acme", name="Acme")


def _heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.data.decode()).group(1)


@pytest.mark.parametrize("accept, language", [
    ("fr-FR,fr;q=0.9,en;q=0.5", "fr"), ("de", "de"), ("es-MX", "es"), ("ja, en;q=0.1", "en"), ("", "en")])
def test_the_browser_language_is_used(client, tenant, accept, language):
    response = client.get("/t/acme/", headers={"Accept-Language": accept})
    assert _heading(response) == HEADINGS[language]
    assert f'<html lang="{language}">' in response.data.decode()


def test_the_switcher_choice_is_kept_in_the_session(client, tenant):
    page = client.get("/t/acme/", headers={"Accept-Language": "fr"}).data.decode()
    for code in ("en", "de", "es"):
        assert f'href="?lang={code}"' in page and f'aria-current="true">{LANGUAGES["fr"]}' in page
    assert _heading(client.get("/t/acme/?lang=de", headers={"Accept-Language": "fr"})) == HEADINGS["de"]
    assert _heading(client.get("/t/acme/", headers={"Accept-Language": "fr"})) == HEADINGS["de"]
    assert _heading(client.get("/t/acme/?lang=xx")) == HEADINGS["de"]  # unknown choices are ignored


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_request_and_its_messages_take_the_page_language(client, tenant, language):
    response = portal_submit(client, headers={"Accept-Language": language})
    assert response.status_code == 200
    assert all_requests()[0].language == language
    mail = last_mail("verification")
    assert mail.subject.startswith(SUBJECTS[language])
    assert f'<html lang="{language}">' in mail.html
    # the status page follows the visitor, not the request
    assert _heading(client.get(mail.status_path + "&lang=en")).startswith("Your request")


def test_form_errors_are_translated(client, tenant):
    response = portal_submit(client, email="nope", headers={"Accept-Language": "es"})
    assert "Introduzca una dirección de correo como nombre@example.com." in response.data.decode()


def _extracted() -> set:
    method_map, options_map = parse_mapping_cfg(open(CATALOGS / "babel.cfg"))
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map,
                                                keywords={"_": None, "gettext": None, "_l": None,
                                                          "lazy_gettext": None, "ngettext": (1, 2)}):
        found.add(message)
    return found


@pytest.mark.parametrize("language", ["fr", "de", "es"])
def test_every_message_is_translated_with_the_same_placeholders(language):
    extracted = _extracted()
    assert len(extracted) > 150
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle, locale=language)
    placeholders = re.compile(r"%\((\w+)\)[sd]")
    for msgid in extracted:
        entry = catalog.get(msgid)
        assert entry is not None and not entry.fuzzy, f"{language}: untranslated {msgid!r}"
        sources = msgid if isinstance(msgid, tuple) else (msgid,)
        targets = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(targets), f"{language}: empty translation of {msgid!r}"
        wanted = set(placeholders.findall(sources[-1])) - {"num"}
        for target in targets:
            assert set(placeholders.findall(target)) - {"num"} == wanted, f"{language}: {msgid!r}"
