"""The data map's Art. 15 keys: purposes with a legal basis, recipients, transfers, automated
decisions, a table's origin and a rule's event. Each loads into plain objects, and each
mistake is one error naming the file, the line and the key path."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from dsar.datamap.check import check_datamap
from dsar.datamap.cli import datamap_cli
from dsar.datamap.loader import DataMapError, parse_datamap
from dsar.datamap.model import AutomatedDecision, Purpose, Recipient, Transfer

MAP = """\
tenant: acme
sources:
  - name: app
    url: sqlite:///app.db
    recipients: [Stripe]
    tables:
      - name: accounts
        primary_key: id
        identity: {email: email}
        purposes: [service]
        retention: {after: 12 months, from: created_at, event: the account was opened, action: delete}
      - name: invoices
        primary_key: id
        link: {account_id: accounts.id}
        purposes: [billing]
        origin: Created by us when we bill you.
        erasure: {retain: {basis: Tax law, until: 7 years, from: issued_at, event: the invoice was issued}}
purposes:
  service: {description: Providing the service, legal_basis: contract}
  billing: {description: Billing, legal_basis: legal_obligation}
  fraud:
    description: Preventing fraud
    legal_basis: legitimate_interests
    interest: stopping stolen cards being used
recipients:
  Stripe: {category: Payment processor, description: takes card payments}
transfers:
  - {to: Stripe, country: us, safeguard: scc}
  - {to: app, country: IN, safeguard: other, details: our own binding rules}
automated_decisions:
  - description: Fraud score on payments
    logic: a model weighs the card's country and the amount
    consequences: a payment may be refused until we check it
    profiling: true
"""


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def errors_of(text: str) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        parse_datamap(text, name="acme.yml")
    return [str(issue) for issue in caught.value.issues]


def broken(old: str, new: str) -> str:
    assert old in MAP, old
    return MAP.replace(old, new, 1)


def test_every_art15_key_loads_into_plain_objects():
    datamap = parse_datamap(MAP, name="acme.yml")
    assert dict(datamap.purposes)["fraud"] == Purpose("Preventing fraud", "legitimate_interests",
                                                      "stopping stolen cards being used")
    assert datamap.recipients == (("Stripe", Recipient("Payment processor", "takes card payments")),)
    assert datamap.transfers == (Transfer("Stripe", "US", "scc"),
                                 Transfer("app", "IN", "other", "our own binding rules"))
    assert datamap.automated_decisions == (AutomatedDecision(
        "Fraud score on payments", "a model weighs the card's country and the amount",
        "a payment may be refused until we check it", profiling=True),)
    accounts, invoices = datamap.sources[0].tables
    assert accounts.retention[0].event == "the account was opened"
    assert invoices.origin == "Created by us when we bill you." and invoices.erasure.event == "the invoice was issued"


def test_saying_none_is_not_the_same_as_not_saying():
    silent = parse_datamap(MAP.split("transfers:")[0])
    assert silent.transfers is None and silent.automated_decisions is None
    none = parse_datamap(MAP.split("transfers:")[0] + "transfers: []\nautomated_decisions: []\n")
    assert none.transfers == () and none.automated_decisions == ()


@pytest.mark.parametrize("old, new, needle, message", [
    ("  fraud:\n", "  Fraud Check:\n", "Fraud Check",
     'purposes.Fraud Check: "Fraud Check" is not a purpose name (lower-case letters, digits and _, e.g. billing); '
     "tables name it in their purposes"),
    ("{description: Billing, legal_basis: legal_obligation}", "{legal_basis: legal_obligation}", "  billing:",
     "purposes.billing.description: is required"),
    ("{description: Billing, legal_basis: legal_obligation}", "{description: Billing}", "  billing:",
     "purposes.billing.legal_basis: is required"),
    ("legal_basis: legal_obligation}", "legal_basis: legal_obligations}", "legal_obligations",
     'purposes.billing.legal_basis: "legal_obligations" is not a legal basis (Art. 6(1)) (did you mean '
     '"legal_obligation"?); use one of consent, contract, legal_obligation, vital_interests, public_task, '
     "legitimate_interests"),
    ("    interest: stopping stolen cards being used\n", "", "  fraud:",
     "purposes.fraud.interest: is required for legitimate_interests: the interest pursued, in words "
     "(the subject is told it)"),
    ("{description: Billing, legal_basis: legal_obligation}",
     "{description: Billing, legal_basis: legal_obligation, interest: tax}", "  billing:",
     "purposes.billing.interest: applies only to legal_basis legitimate_interests"),
    ("{description: Billing, legal_basis", "{descripton: Billing, description: B, legal_basis", "  billing:",
     'purposes.billing.descripton: unknown key "descripton" (did you mean "description"?); allowed here: '
     "description, legal_basis, interest"),
    ("        purposes: [billing]", "        purposes: [biling]", "[biling]",
     'sources[0].tables[1].purposes[0]: "biling" is not a purpose declared under purposes: at the top of the file '
     '(did you mean "billing"?)'),
    ("{category: Payment processor, description: takes card payments}", "{description: takes card payments}",
     "  Stripe: {", "recipients.Stripe.category: is required"),
    ("{category: Payment processor, description", "{category: '', description", "  Stripe: {",
     "recipients.Stripe.category: must not be empty"),
    ("{category: Payment processor, description", "{category: Payment processor, country: US, description",
     "  Stripe: {", 'recipients.Stripe.country: unknown key "country"; allowed here: category, description'),
    ("{to: Stripe, country: us", "{to: Strpe, country: us", "Strpe",
     'transfers[0].to: "Strpe" is neither a recipient nor a source of this map (did you mean "Stripe"?): name one '
     "of Stripe, app"),
    ("{to: Stripe, country: us", "{country: us", "- {country: us", "transfers[0].to: is required"),
    ("country: us, safeguard", "country: USA, safeguard", "USA",
     'transfers[0].country: "USA" is not an ISO 3166 country code (e.g. US, IN, CH)'),
    ("country: us, safeguard", "country: EU, safeguard", "country: EU",
     'transfers[0].country: "EU" is not an ISO 3166 country code (e.g. US, IN, CH)'),
    ("safeguard: scc}", "safeguard: sccs}", "sccs",
     'transfers[0].safeguard: "sccs" is not a transfer safeguard (did you mean "scc"?); use one of adequacy, scc, '
     "uk_idta, bcr, derogation, other"),
    ("safeguard: other, details: our own binding rules}", "safeguard: derogation}", "safeguard: derogation",
     "transfers[1].details: is required for safeguard derogation: say in words what protects the data "
     "(the subject is told it)"),
    ("    logic: a model weighs the card's country and the amount\n", "", "  - description: Fraud",
     "automated_decisions[0].logic: is required"),
    ("    consequences: a payment may be refused until we check it\n", "", "  - description: Fraud",
     "automated_decisions[0].consequences: is required"),
    ("    profiling: true", "    profiling: sometimes", "profiling: sometimes",
     "automated_decisions[0].profiling: must be true or false"),
    ("        origin: Created by us when we bill you.", "        origin: ''", "origin: ''",
     "sources[0].tables[1].origin: must not be empty"),
    ("        origin: Created by us when we bill you.", "        origin: [us]", "origin: [us]",
     "sources[0].tables[1].origin: must be text"),
    ("event: the account was opened,", "event: '',", "event: ''",
     "sources[0].tables[0].retention.event: must not be empty"),
    ("until: 7 years, from: issued_at, event", "event", "{basis: Tax law, event",
     "sources[0].tables[1].erasure.retain.event: says in words what the from column records: give from as well"),
])
def test_each_mistake_names_file_line_and_key_path(old, new, needle, message):
    text = broken(old, new)
    assert errors_of(text) == [f"acme.yml:{line_of(text, needle)}: {message}"]


def with_section(key: str, value: str) -> str:
    """MAP with its top-level ``key`` block replaced by ``key: value`` at the end."""
    kept, skipping = [], False
    for line in MAP.splitlines():
        if not line.startswith(" "):
            skipping = line.startswith(f"{key}:")
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + f"\n{key}: {value}\n"


@pytest.mark.parametrize("key, value, message", [
    ("purposes", "[service, billing]", "must be a mapping (key: value)"),
    ("recipients", "[Stripe]", "must be a mapping (key: value)"),
    ("transfers", "{to: Stripe, country: US, safeguard: scc}", "must be a list"),
    ("automated_decisions", "none", "must be a list"),
])
def test_each_section_has_its_shape(key, value, message):
    text = with_section(key, value)
    assert errors_of(text) == [f"acme.yml:{len(text.splitlines())}: {key}: {message}"]


def test_check_explains_the_answer_and_warns_about_what_the_letter_cannot_say(tmp_path):
    complete = tmp_path / "complete.yml"
    complete.write_text(MAP)
    report = check_datamap(complete, offline=True)
    text = report.render()
    for line in ("  billing: Billing — legal basis a legal obligation we must comply with (Art. 6(1)(c))",
                 "  fraud: Preventing fraud — legal basis our legitimate interests (Art. 6(1)(f)): stopping stolen "
                 "cards being used",
                 "  Stripe: Payment processor — takes card payments",
                 "  to Stripe in US: standard data protection clauses in our contract with the recipient "
                 "(Art. 46(2)(c))",
                 "  Fraud score on payments (profiling): a model weighs the card's country and the amount"):
        assert line in text, line
    assert not [w for w in report.warnings if w.startswith(("purposes", "recipients", "transfers", "automated"))]

    undeclared = tmp_path / "undeclared.yml"
    undeclared.write_text(MAP.replace("recipients: [Stripe]", "recipients: [Stripe, Stripe Inc]"))
    warning = ('recipients: "Stripe Inc" has no category (did you mean "Stripe"?); declare it under recipients: '
               "{name: {category: ...}} so the access letter can name the kind of recipient")
    assert warning in check_datamap(undeclared, offline=True).warnings  # named and notified all the same

    legacy = tmp_path / "legacy.yml"
    legacy.write_text(MAP.split("purposes:\n  service")[0].replace("[service]", "[Providing the service]")
                      .replace("[billing]", "[Billing]"))
    warnings = check_datamap(legacy, offline=True).warnings
    assert [w.split(":")[0] for w in warnings if not w.startswith("app.")] == [
        "purposes", "recipients", "transfers", "automated_decisions"]
    assert check_datamap(legacy, offline=True).ok  # a map from before these keys still loads


def test_the_cli_refuses_a_bad_art15_key_with_its_line_and_a_non_zero_exit(tmp_path):
    path = tmp_path / "acme.yml"
    text = broken("safeguard: scc}", "safeguard: sccs}")
    path.write_text(text)
    result = CliRunner().invoke(datamap_cli, ["check", str(path), "--offline"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f'{path}:{line_of(text, "sccs")}: transfers[0].safeguard: "sccs" is not a transfer safeguard' in result.output
