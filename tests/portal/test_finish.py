"""The portal's finish (#16.9): POST-redirect-GET after submitting, the skip link, 404 pages and
article labels in the page's language, and the declaration in the words of the request's law."""
from __future__ import annotations

import pytest

from tests.factories import make_tenant
from tests.portal.helpers import all_requests, portal_submit, reference_in


@pytest.fixture
def tenant(app):
    return make_tenant("acme", name="Acme Chat")


def test_the_confirmation_has_its_own_address_that_can_be_reopened(client, tenant):
    answer = portal_submit(client, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/t/acme/sent")
    first = client.get("/t/acme/sent")
    again = client.get("/t/acme/sent")  # a reload: no 405, no second request
    assert first.status_code == again.status_code == 200
    assert reference_in(first.data) == reference_in(again.data) == all_requests()[0].reference
    assert len(all_requests()) == 1


def test_the_confirmation_address_without_a_submission_leads_to_the_form(client, tenant):
    answer = client.get("/t/acme/sent")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/t/acme/")


@pytest.mark.parametrize("language, skip, not_found, gdpr", [
    ("en", "Skip to content", "Page not found", "GDPR Art. 15"),
    ("de", "Zum Inhalt springen", "Seite nicht gefunden", "DSGVO Art. 15"),
    ("fr", "Aller au contenu", "Page introuvable", "RGPD Art. 15"),
    ("es", "Saltar al contenido", "Página no encontrada", "RGPD Art. 15"),
])
def test_skip_link_404_and_article_labels_are_translated(client, tenant, language, skip, not_found, gdpr):
    headers = {"Accept-Language": language}
    page = client.get("/t/acme/", headers=headers).get_data(as_text=True)
    assert f'<a class="skip" href="#main">{skip}</a>' in page and f"({gdpr})" in page
    missing = client.get("/t/acme/no-such-page", headers=headers)
    assert missing.status_code == 404 and f"<h1>{not_found}</h1>" in missing.get_data(as_text=True)
    unknown = client.get("/r/DSR-0000-0000?t=x", headers=headers)
    assert unknown.status_code == 404 and f"<h1>{not_found}</h1>" in unknown.get_data(as_text=True)
    if language != "en":
        assert "GDPR" not in page.replace("UK GDPR", "")
