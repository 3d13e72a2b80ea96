"""The access letter (``README.html``) as the subject reads it: the whole Art. 15 answer in
sentences, from the data map and the tenant — never a column name, a dotted category key
or JSON."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from dsar.datamap.loader import parse_datamap
from dsar.demo import DEMO_AUTHORITY
from dsar.demo.sample_app import sample_datamap_yaml
from dsar.fulfilment.article15 import Controller, access_answer, event_words
from dsar.fulfilment.cover_letter import CCPA_RIGHTS, TableSummary, render_cover_letter

NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone.utc)
#: The demo tenant as `dsar demo` creates it.
DEMO = Controller(name="Parlo Chat", regime="uk_gdpr", contact="privacy@parlo.example", authority_setting=DEMO_AUTHORITY)

EVERYTHING = """\
tenant: acme
sources:
  - name: app
    url: sqlite:///app.db
    description: Our customer database.
    recipients: [Stripe, Zendesk]
    tables:
      - name: customer
        description: Your customer account
        primary_key: id
        identity: {email: email}
        categories: {email: user.contact.email, ip: user.device.ip_address, name: [user.name, user.account]}
        purposes: [service, news]
      - name: address
        description: Postal addresses
        primary_key: id
        shared: true
        link: {id: customer.address_id}
      - name: visits
        description: Your visits to our website
        primary_key: id
        link: {customer_id: customer.id}
        categories: {ip: user.device.ip_address}
        purposes: [security]
        retention:
          - {after: 30 days, from: visited_at, event: your visit, action: anonymize_ip, column: ip, level: 1}
          - {after: 2 years, from: visited_at, event: your visit, action: anonymize, columns: {agent: null}}
      - name: credit_checks
        description: Credit checks
        primary_key: id
        link: {customer_id: customer.id}
        categories: {score: user.financial.credit_card}
        purposes: [credit]
        origin: Received from Experian, a credit reference agency.
        erasure: {retain: {basis: "Consumer credit law", until: 2031-12-31}}
      - name: orders
        description: Your orders
        primary_key: id
        link: {customer_id: customer.id}
        purposes: [service]
        retention: {after: 6 years, from: placed_at, action: delete}
purposes:
  service: {description: Selling and delivering what you order, legal_basis: contract}
  news: {description: Sending you our newsletter, legal_basis: consent}
  security: {description: Keeping the website secure, legal_basis: legitimate_interests, interest: stopping attacks}
  credit: {description: Deciding whether to offer you credit, legal_basis: legal_obligation}
  records: {description: Keeping the records the law asks of us, legal_basis: legal_obligation}
recipients:
  Stripe: {category: Payment processor, description: takes your card payments}
  Zendesk: {category: Customer support software}
  Tax authority: {category: Public authority, description: "on request, as tax law requires"}
transfers:
  - {to: Stripe, country: US, safeguard: scc}
  - {to: app, country: IN, safeguard: bcr, details: our group's rules approved by the CNIL}
automated_decisions:
  - description: Credit decision
    logic: a score from your order history and the credit reference agency's record
    consequences: we may refuse to let you pay later
    profiling: true
"""


def letter(map_text: str, controller: Controller, *, rows: int = 2, only_provided: bool = False,
           empty: tuple[str, ...] = ()) -> str:
    """The letter for a subject with ``rows`` rows in every table the answer covers but ``empty``."""
    datamap = parse_datamap(map_text)
    context = access_answer(datamap, controller, reference="DSAR-2026-0007", subject_label="alex@example.com",
                            now=NOW, only_provided=only_provided)
    tables = [TableSummary(s.name, t.name, 0 if t.name in empty else rows, (f"data/{s.name}/{t.name}.json",))
              for s in datamap.sources for t in s.tables if t in context_tables(datamap, only_provided)]
    return render_cover_letter(context, tables)


def context_tables(datamap, only_provided: bool) -> list:
    return [t for s in datamap.sources for t in s.tables
            if t.takes_part and (t.provided_by_subject or not only_provided)]


def words(page: str) -> str:
    """The text a reader sees: no style sheet, no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.DOTALL)
    page = re.sub(r"</?(strong|a|time|code)\b[^>]*>", "", page)  # inline: part of the sentence
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def assert_no_developer_words(text: str) -> None:
    assert not re.search(r"\buser\.[a-z_.]+", text), "a dotted fideslang key"
    assert not re.search(r"[{}\[\]]", text), "JSON or YAML"
    for internal in ("_at", "business_id", "app/", "anonymize_ip", "legal_obligation", "legitimate_interests"):
        assert internal not in text.replace("data/app/", ""), internal


def test_the_demo_letter_answers_every_art15_question_in_words():
    text = words(letter(sample_datamap_yaml("sqlite:///demo.db", tenant="demo"), DEMO))
    for sentence in (
        "Providing the chat service you signed up for. Legal basis: our contract with you, or steps you asked us to "
        "take before entering into one (Art. 6(1)(b) UK GDPR). It concerns: accounts, conversations, messages.",
        "Keeping the chat widget secure and working. Legal basis: our legitimate interests (Art. 6(1)(f) UK GDPR): "
        "detecting abuse of the widget and fixing its faults.",
        "IP Address: Unique identifier related to device connection.",
        "User Contact Email",
        "Stripe (Payment processor): takes your card payments",
        "Transfers outside the UK",
        "Stripe (Payment processor), in the United States: protected by an adequacy decision",
        "SendGrid (E-mail delivery service), in the United States: protected by the UK International Data Transfer "
        "Agreement",
        "You may ask us for a copy of these safeguards",
        "messages: Deleted 12 months after the message was sent.",
        "invoices: Deleted 7 years after the invoice was issued; until then it is kept even if you ask us to erase "
        "it (tax law: legal obligation, Art. 17(3)(b)).",
        "IP addresses are shortened (their last part removed) 30 days after your visit",
        "widget visits: Recorded by our chat widget when you visited a website that uses it.",
        "invoices: Created by us when we bill you for your subscription.",
        "messages: You gave it to us.",
        "We do not make decisions about you based solely on automated processing, and we do not profile you.",
        "Our supervisory authority is Information Commissioner's Office: https://ico.org.uk/make-a-complaint/; "
        "telephone 0303 123 1113.",
        "Portability: to receive the data you gave us",
    ):
        assert sentence in text, sentence
    assert_no_developer_words(text)
    assert "Not specified" not in text


def test_a_map_with_every_element_under_the_gdpr():
    controller = Controller(name="Acme GmbH", regime="gdpr", contact="privacy@acme.example",
                            retention_overrides={"app.orders": "3 years"})
    page = letter(EVERYTHING, controller)
    text = words(page)
    for sentence in (
        "Sending you our newsletter. Legal basis: your consent, which you may withdraw at any time "
        "(Art. 6(1)(a) GDPR). It concerns: Your customer account.",
        "Keeping the website secure. Legal basis: our legitimate interests (Art. 6(1)(f) GDPR): stopping attacks.",
        # named by no table: it concerns all the data, and says so by naming none
        "Keeping the records the law asks of us. Legal basis: a legal obligation we must comply with "
        "(Art. 6(1)(c) GDPR).",
        "Account Information", "Credit Card Information", "Name",
        "Tax authority (Public authority): on request, as tax law requires",
        "Zendesk (Customer support software)",
        "Transfers outside the EU and the EEA",
        "Stripe (Payment processor), in the United States: protected by standard data protection clauses in our "
        "contract with the recipient (Art. 46(2)(c)).",
        "Our own systems (Our customer database.), in India: protected by binding corporate rules approved by a "
        "supervisory authority (Art. 47) — our group's rules approved by the CNIL.",
        "Your orders: Deleted 3 years after it was placed.",  # the tenant's shorter override
        "Your visits to our website: IP addresses are shortened (their last part removed) 30 days after your visit",
        "Anonymized 2 years after your visit: what identifies you is removed.",
        "Credit checks: Kept until 31 December 2031 even if you ask us to erase it (consumer credit law).",
        "Postal addresses: Shared with other people's records: kept when you ask us to erase your data",
        "Credit checks: Received from Experian, a credit reference agency.",
        "Our customer database.",
        "We make these decisions about people based solely on automated processing, including profiling:",
        "Credit decision (profiling). How it works: a score from your order history and the credit reference "
        "agency's record. What it means for you: we may refuse to let you pay later.",
        "You may ask for a person to review such a decision",
        "We have not named a lead supervisory authority in this letter.",
    ):
        assert sentence in text, sentence
    assert '<a href="https://www.edpb.europa.eu/about-edpb/about-edpb/members_en">' in page
    for section in ("purposes", "categories", "recipients", "transfers", "retention", "source",
                    "automated-decisions", "rights", "complaints"):
        assert f'<section id="{section}">' in page, section
    assert_no_developer_words(text)


def test_what_the_map_does_not_say_is_not_claimed():
    silent = EVERYTHING.split("transfers:")[0]
    text = words(letter(silent, Controller(name="Acme", regime="uk_gdpr")))
    assert "Not specified; please ask us whether your data leaves the UK" in text
    assert "Not specified; please ask us whether we make decisions about you by automated means" in text
    assert "We do not transfer" not in text and "We do not make decisions" not in text
    said_none = silent + "transfers: []\nautomated_decisions: []\n"
    text = words(letter(said_none, Controller(name="Acme", regime="uk_gdpr")))
    assert "We do not transfer your personal data outside the UK." in text
    assert "We do not make decisions about you based solely on automated processing" in text


def test_a_map_without_declared_purposes_still_lists_its_free_text_and_asks_for_the_basis():
    # The demo's map as it was before purposes:, recipients: ... existed: free-text table purposes.
    demo = sample_datamap_yaml("sqlite:///x.db")
    legacy = "tenant: acme\n" + demo[demo.index("sources:"):]
    legacy = legacy.replace("purposes: [service]\n        erasure: delete", "purposes: [Running the chat]\n"
                            "        erasure: delete")
    legacy = re.sub(r"\n *purposes: \[(service|support|security|billing)\]", "", legacy)
    text = words(letter(legacy, DEMO))
    assert "Running the chat. It concerns: accounts." in text
    assert "Where no legal basis is given above, please ask us" in text
    assert "No recipients are recorded" not in text and "Stripe" in text  # plain names still listed


@pytest.mark.parametrize("regime, authority, right", [
    ("ccpa", "Our supervisory authority is California Privacy Protection Agency: https://cppa.ca.gov/.",
     CCPA_RIGHTS[3]),
    ("lgpd", "Our supervisory authority is Autoridade Nacional de Proteção de Dados (ANPD)", "Portability of your"),
    ("policy", "We have not named a supervisory authority in this letter; ask us which one oversees us",
     "Erasure: to have your data deleted"),
])
def test_rights_and_authority_follow_the_regime(regime, authority, right):
    text = words(letter(EVERYTHING, Controller(name="Acme", regime=regime)))
    assert authority in text and right in text
    assert "(Art. 6(1)" not in text  # the article is the GDPR's; other regimes are not cited by it


def test_portability_states_only_the_purposes_of_what_it_holds():
    text = words(letter(EVERYTHING, Controller(name="Acme", regime="gdpr"), only_provided=True))
    assert "Selling and delivering what you order" in text and "Sending you our newsletter" in text
    assert "Deciding whether to offer you credit" not in text and "Credit checks" not in text


def test_the_answer_is_about_the_data_held_not_every_place_searched():
    text = words(letter(sample_datamap_yaml("sqlite:///demo.db"), DEMO, empty=("support_tickets", "invoices")))
    assert "We also searched these places and found nothing about you: support tickets, invoices." in text
    assert "Answering your questions and support requests" not in text and "Billing you" not in text
    assert "Deleted 2 years after" not in text and "Created by us when we bill you" not in text
    assert "messages: Deleted 12 months after the message was sent." in text


def test_a_table_without_rows_gives_no_categories():
    text = words(letter(EVERYTHING, Controller(name="Acme", regime="gdpr"), rows=0))
    assert "No categories are recorded for the data in this package." in text
    assert "We found no personal data about you" in text


def test_new_values_are_escaped_like_every_other():
    hostile = EVERYTHING.replace("Received from Experian, a credit reference agency.", "<script>x()</script>")
    hostile = hostile.replace("we may refuse to let you pay later", "<img src=x onerror=y()>")
    page = letter(hostile, Controller(name="Acme", regime="gdpr"))
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("column, event, expected", [
    ("created_at", None, "it was created"),
    ("issued_on", None, "it was issued"),
    ("sent_at", None, "it was sent"),
    ("last_interaction_at", None, "the last interaction"),
    ("visit_date", None, "the visit"),
    ("at", None, "the at"),
    ("created_at", "the message was sent", "the message was sent"),
])
def test_a_timestamp_column_reads_as_an_event(column, event, expected):
    assert event_words(column, event) == expected
