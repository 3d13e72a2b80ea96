"""Where a data subject can complain: the tenant's own authority, or its regime's default.

A tenant names its authority in one line of text (the setting ``supervisory_authority``,
edited on the dashboard's settings page), e.g. ``Information Commissioner's Office
(ico.org.uk)`` or ``CNIL https://www.cnil.fr/fr/plaintes 01 53 73 22 22``: the first web
address in it becomes the link, the words before it the name, anything after it the contact.
When the setting is empty, each regime has a default (configuration is data, STYLE rule 11);
an EU tenant has no single one (the subject may go to the authority where they live), so the
letter says so and points at the European Data Protection Board's list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_URL = re.compile(r"(https?://[^\s()<>]+|(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/[^\s()<>]*)?)",
                  re.IGNORECASE)
_EMAIL = re.compile(r"[^\s@()<>]+@[^\s@()<>]+")


@dataclass(frozen=True)
class Authority:
    """A supervisory authority as the letter names it."""

    name: str = ""
    website: str = ""  # an absolute http(s) address, or empty
    contact: str = ""  # telephone, postal address, e-mail: text
    note: str = ""  # said to the subject when the tenant has named none


EDPB_MEMBERS = "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en"

#: The authority each regime names when the tenant has set none.
REGIME_DEFAULTS: dict[str, Authority] = {
    "uk_gdpr": Authority(
        name="Information Commissioner's Office (ICO)", website="https://ico.org.uk/make-a-complaint/",
        contact="telephone 0303 123 1113; Wycliffe House, Water Lane, Wilmslow, Cheshire SK9 5AF, United Kingdom"),
    "gdpr": Authority(
        website=EDPB_MEMBERS,
        note="We have not named a lead supervisory authority in this letter. You may complain to the data "
             "protection authority of the EU or EEA country where you live or work, or where you think your "
             "rights were infringed; the European Data Protection Board lists every authority with its contact "
             "details."),
    "ccpa": Authority(name="California Privacy Protection Agency", website="https://cppa.ca.gov/"),
    "lgpd": Authority(name="Autoridade Nacional de Proteção de Dados (ANPD)", website="https://www.gov.br/anpd/"),
}
NO_AUTHORITY = Authority(note="We have not named a supervisory authority in this letter; ask us which one "
                              "oversees us (see Contact below).")


def parse_authority(text: str) -> Authority:
    """The tenant's one-line setting as name, website and contact (see the module's text)."""
    text = " ".join(text.split())
    email = _EMAIL.search(text)
    url = _URL.search(_EMAIL.sub(lambda m: " " * len(m.group()), text))
    if url is None:
        return Authority(name=text)
    link = url.group(1).rstrip(".,;")
    website = link if link.lower().startswith(("http://", "https://")) else f"https://{link}"
    first = min(url.start(1), email.start()) if email else url.start(1)
    name = text[:first].strip(" ,;:-(")
    rest = text[first:url.start(1)] + " " + text[url.end(1):]
    contact = " ".join(part.strip(" ,;:-().") for part in rest.split(",") if part.strip(" ,;:-()."))
    return Authority(name=name or link, website=website, contact=contact)


def supervisory_authority(setting: str, regime: str) -> Authority:
    """The authority the letter names: the tenant's setting, else its regime's default."""
    if setting and setting.strip():
        return parse_authority(setting)
    return REGIME_DEFAULTS.get(regime, NO_AUTHORITY)
