"""A real browser through the subject's flows of #16, in two languages: opting out by the
browser's GPC signal (German), and asking, following, downloading and finding one's request
again (French). Few and long: each test walks several steps."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dsar.services import suppressions
from tests.factories import fulfil, make_tenant
from tests.portal.helpers import STATUS_LINK, last_mail, request_by_reference

pytestmark = pytest.mark.browser


def test_an_opt_out_by_gpc_takes_effect_at_once_in_german(chromium, live_server, app):
    tenant = make_tenant("acme", name="Acme Chat", regime="ccpa", country="US")
    context = chromium.new_context(base_url=live_server, locale="de-DE",
                                   extra_http_headers={"Sec-GPC": "1", "Accept-Language": "de"})
    page = context.new_page()
    try:
        page.goto("/t/acme/")
        expect(page.locator('a.skip')).to_have_text("Zum Inhalt springen")
        expect(page.get_by_label("Werbung und Verkauf widersprechen", exact=False)).to_be_checked()
        page.get_by_label("Ihre E-Mail-Adresse", exact=True).fill("jonas@example.com")
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url("**/t/acme/sent")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sie haben widersprochen")
        page.reload()  # POST-redirect-GET: the answer survives a reload
        expect(page.get_by_role("heading", level=1)).to_have_text("Sie haben widersprochen")
        assert suppressions.check(tenant.id, email="jonas@example.com").reasons == ["opt_out"]
        assert last_mail("completed").subject.startswith("Ihr Antrag")
    finally:
        context.close()


def test_ask_follow_download_and_find_again_in_french(chromium, live_server, app, acme, sample):
    context = chromium.new_context(base_url=live_server, locale="fr-FR", accept_downloads=True,
                                   extra_http_headers={"Accept-Language": "fr"})
    page = context.new_page()
    try:
        page.goto("/t/acme/")
        page.get_by_label("Voir les données que vous détenez sur moi", exact=False).check()
        page.get_by_label("Votre adresse e-mail", exact=True).fill("alice@example.com")
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url("**/t/acme/sent")
        reference = page.locator("text=DSR-").first.inner_text().split("DSR-")[1][:9]
        reference = "DSR-" + reference
        page.goto(last_mail("verification").verify_path)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url(f"**/r/{reference}?t=*")
        expect(page.locator("body")).to_contain_text("(RGPD Art. 15)")
        status = page.url

        fulfil(request_by_reference(reference), "test")  # the DPO's part, done elsewhere
        page.goto(status)
        with page.expect_download() as download:
            page.get_by_role("link", name="Télécharger mes données").click()
        assert download.value.suggested_filename == f"{reference}.zip"

        # The link lost: reference and address give a new one by e-mail.
        context.clear_cookies()
        page.goto("/t/acme/")
        page.get_by_role("link", name="Retrouver ma demande").click()
        page.get_by_label("La référence de votre demande", exact=True).fill(reference)
        page.get_by_label("Votre adresse e-mail", exact=True).fill("alice@example.com")
        page.get_by_role("button", name="M'envoyer le lien").click()
        page.wait_for_url("**/t/acme/find?sent=1")
        expect(page.locator("body")).to_contain_text("nous avons envoyé le lien")
        again = STATUS_LINK.search(last_mail("status_link").text).group(1)
        page.goto(again)
        expect(page.get_by_role("link", name="Télécharger mes données")).to_be_visible()
    finally:
        context.close()
