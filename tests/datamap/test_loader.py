"""Loading data maps: the SPEC example loads, and every kind of mistake gets a clear error
naming the file, the line and the key path."""
from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from dsar.datamap.loader import DataMapError, load_datamap, parse_datamap
from dsar.datamap.model import Anonymize, ColumnStrategy, Delete, Duration, Link, Retain
from dsar.errors import ValidationError

ENV = {"ACME_APP_DB_URL": "postgresql+psycopg://app:s3cret@db.internal/app"}

SPEC_EXAMPLE = """\
tenant: acme
sources:
  - name: app
    url: ${ACME_APP_DB_URL}
    scope: {column: business_id, value: "42"}   # optional: rows of this tenant only
    tables:
      - name: accounts
        primary_key: id
        identity: {email: email, phone: phone}    # identity type -> column
        categories: {email: user.contact.email, name: user.name}
        erasure: delete                            # delete | anonymize | retain
      - name: conversations
        primary_key: id
        link: {account_id: accounts.id}           # reached through a foreign key
        erasure: delete
        retention: {after: 12 months, from: created_at, action: delete}
      - name: widget_visits
        primary_key: id
        link: {account_id: accounts.id}
        erasure: {anonymize: {ip: ip_level_3, user_agent: null}}
        retention:
          - {after: 30 days, from: visited_at, action: anonymize_ip, column: ip, level: 1}
      - name: support_tickets
        primary_key: id
        link: {account_id: accounts.id}
        retention: {after: 2 years, from: last_interaction_at, action: delete}
      - name: invoices
        primary_key: id
        link: {account_id: accounts.id}
        erasure: {retain: {basis: "Tax law: legal obligation, Art. 17(3)(b)", until: 7 years, from: issued_at}}
        retention: {after: 7 years, from: issued_at, action: delete}
    recipients: [Stripe, SendGrid]               # Art. 19 notifications, Art. 15 answer
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def errors_of(text: str, env=ENV) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        parse_datamap(text, name="acme.yml", env=env)
    return [str(issue) for issue in caught.value.issues]


def broken(old: str, new: str) -> str:
    assert old in SPEC_EXAMPLE
    return SPEC_EXAMPLE.replace(old, new, 1)


def test_the_spec_example_loads_into_plain_objects():
    datamap = parse_datamap(SPEC_EXAMPLE, name="acme.yml", env=ENV)
    source = datamap.sources[0]
    assert (datamap.tenant, source.name, source.url) == ("acme", "app", ENV["ACME_APP_DB_URL"])
    assert (source.scope.column, source.scope.value) == ("business_id", "42")
    assert source.recipients == ("Stripe", "SendGrid")
    accounts, conversations, visits, tickets, invoices = source.tables
    assert accounts.identity == (("email", "email"), ("phone", "phone"))
    assert accounts.provided_by_subject and not conversations.provided_by_subject
    assert conversations.links == (Link("account_id", "accounts", "id"),)
    assert conversations.retention[0].after == Duration(12, "months")
    assert visits.erasure == Anonymize((("ip", ColumnStrategy("ip", level=3)), ("user_agent", ColumnStrategy("null"))))
    assert visits.retention[0].action == "anonymize_ip" and visits.retention[0].level == 1
    assert tickets.erasure is None and tickets.erasure_strategy == Delete()  # the default
    assert invoices.erasure == Retain("Tax law: legal obligation, Art. 17(3)(b)", Duration(7, "years"), "issued_at")


def test_password_from_the_environment_is_kept_out_of_display():
    source = parse_datamap(SPEC_EXAMPLE, env=ENV).sources[0]
    assert "s3cret" not in source.safe_url and "s3cret" not in repr(source)


def test_a_retention_only_table_is_valid():
    text = SPEC_EXAMPLE.replace("    recipients:", "      - name: server_logs\n"
                                "        retention: {after: 90 days, from: logged_at, action: delete}\n"
                                "    recipients:")
    logs = parse_datamap(text, env=ENV).sources[0].table("server_logs")
    assert not logs.takes_part and logs.erasure_strategy is None and logs.primary_key is None


def test_bad_duration_names_file_line_and_key_path():
    text = broken("after: 12 months", "after: 12 monts")
    assert errors_of(text) == [
        f'acme.yml:{line_of(text, "12 monts")}: sources[0].tables[1].retention.after: '
        '"12 monts" is not a duration (use e.g. "30 days", "12 months", "7 years")']


def test_unknown_key_is_named_with_a_suggestion():
    text = broken("categories: {email:", "categroies: {email:")
    [error] = errors_of(text)
    assert error.startswith(f'acme.yml:{line_of(text, "categroies")}: sources[0].tables[0].categroies: unknown key '
                            '"categroies" (did you mean "categories"?); allowed here: name, primary_key,')


def test_bad_category_lists_close_matches():
    text = broken("user.contact.email", "user.contact.emial")
    [error] = errors_of(text)
    assert error == (f'acme.yml:{line_of(text, "emial")}: sources[0].tables[0].categories.email: '
                     '"user.contact.emial" is not a fideslang data category (did you mean "user.contact.email" or '
                     '"user.contact.url" or "user.contact"?)')


def test_bad_strategy_is_explained():
    text = broken("ip: ip_level_3", "ip: ip_level_4")
    [error] = errors_of(text)
    assert error == (f'acme.yml:{line_of(text, "ip_level_4")}: sources[0].tables[2].erasure.anonymize.ip: '
                     '"ip_level_4" is not an anonymize strategy (use null, redact, hash, ip_level_1, '
                     'ip_level_2 or ip_level_3)')


def test_bad_erasure_shape_and_bare_words():
    text = broken("erasure: delete                            #", "erasure: anonymize #")
    [error] = errors_of(text)
    assert error.startswith(f"acme.yml:{line_of(text, 'erasure: anonymize')}: sources[0].tables[0].erasure: "
                            "must be delete, {anonymize:")


def test_link_to_a_missing_table():
    text = broken("link: {account_id: accounts.id}           #", "link: {account_id: acounts.id} #")
    [error] = errors_of(text)
    assert error == (f'acme.yml:{line_of(text, "acounts.id")}: sources[0].tables[1].link.account_id: links to '
                     'table "acounts", which is not in source "app" (did you mean "accounts"?)')


def test_link_target_must_be_table_dot_column():
    text = broken("link: {account_id: accounts.id}           #", "link: {account_id: accounts} #")
    assert "is not a link target (use other_table.column" in errors_of(text)[0]


def test_link_cycle_is_an_error():
    text = textwrap.dedent("""\
        tenant: acme
        sources:
          - name: app
            url: sqlite:///app.db
            tables:
              - {name: accounts, primary_key: id, identity: {email: email}}
              - {name: a, primary_key: id, link: {b_id: b.id}}
              - {name: b, primary_key: id, link: {a_id: a.id}}
        """)
    assert errors_of(text) == [f"acme.yml:{line_of(text, 'name: a,')}: sources[0].tables[1].link: "
                               "link cycle: a → b → a"]


def test_table_unreachable_from_any_identity():
    text = textwrap.dedent("""\
        tenant: acme
        sources:
          - name: app
            url: sqlite:///app.db
            tables:
              - {name: accounts, primary_key: id}
              - {name: orders, primary_key: id, link: {account_id: accounts.id}}
        """)
    [error] = errors_of(text)
    assert error.startswith("acme.yml:7: sources[0].tables[1].link: orders is not reachable from any table "
                            "with an identity")


def test_multi_hop_link_chain_is_valid():
    text = textwrap.dedent("""\
        tenant: acme
        sources:
          - name: app
            url: sqlite:///app.db
            tables:
              - {name: messages, primary_key: id, link: {conversation_id: conversations.id}}
              - {name: conversations, primary_key: id, link: {account_id: accounts.id}}
              - {name: accounts, primary_key: id, identity: {customer_id: id}}
        """)
    source = parse_datamap(text).sources[0]
    assert source.table("messages").links == (Link("conversation_id", "conversations", "id"),)


def test_missing_environment_variable_names_it_and_its_line():
    assert errors_of(SPEC_EXAMPLE, env={}) == [
        "acme.yml:4: sources[0].url: environment variable ACME_APP_DB_URL is not set"]


def test_environment_default_value():
    text = SPEC_EXAMPLE.replace("${ACME_APP_DB_URL}", "${ACME_APP_DB_URL:-sqlite:///fallback.db}")
    assert parse_datamap(text, env={}).sources[0].url == "sqlite:///fallback.db"


def test_bad_url_is_reported_without_repeating_it():
    errors = errors_of(SPEC_EXAMPLE, env={"ACME_APP_DB_URL": "nonsense://user:hunter2@host"})
    assert len(errors) == 1 and errors[0].startswith("acme.yml:4: sources[0].url: is not a database URL")
    assert "hunter2" not in errors[0]


def test_yaml_syntax_error_has_its_line():
    text = SPEC_EXAMPLE.replace("        primary_key: id\n        identity:", "        primary_key: [id\n        identity:")
    [error] = errors_of(text)
    assert error.startswith("acme.yml:") and "YAML syntax error" in error
    assert int(error.split(":")[1]) in range(line_of(text, "[id"), line_of(text, "[id") + 3)


@pytest.mark.parametrize("text, line", [("- just\n- a list\n", 1), ("", 1), ("just text\n", 1)])
def test_root_must_be_a_mapping(text, line):
    assert errors_of(text) == [f"acme.yml:{line}: the data map must be a mapping with the keys tenant and sources"]


def test_required_keys_point_at_their_parent():
    text = broken("      - name: conversations\n        primary_key: id\n", "      - name: conversations\n")
    assert errors_of(text) == [
        f"acme.yml:{line_of(text, 'name: conversations')}: sources[0].tables[1].primary_key: is required for a "
        "table that requests reach (it has an identity or a link)"]
    assert errors_of("sources: []\n") == ["acme.yml:1: tenant: is required", "acme.yml:1: sources: must not be empty"]


def test_duplicate_keys_and_names():
    text = broken("        erasure: delete                            #", "        erasure: delete\n        erasure: delete #")
    assert 'sources[0].tables[0].erasure: duplicate key "erasure"' in errors_of(text)[0]
    text = broken("name: conversations", "name: accounts")
    assert errors_of(text) == [f'acme.yml:{line_of(text, "name: accounts", 2)}: sources[0].tables[1].name: '
                               'table "accounts" is defined twice']


def test_retention_rule_requirements():
    text = broken("action: anonymize_ip, column: ip, level: 1", "action: anonymize_ip")
    errors = errors_of(text)
    line = line_of(text, "action: anonymize_ip")
    assert errors == [f"acme.yml:{line}: sources[0].tables[2].retention[0].column: is required for action anonymize_ip",
                      f"acme.yml:{line}: sources[0].tables[2].retention[0].level: is required for action anonymize_ip"]
    text = broken("from: created_at, action: delete", "from: created_at, action: delete, level: 2")
    assert errors_of(text)[0].endswith("sources[0].tables[1].retention.level: does not apply to action delete")
    text = broken("action: anonymize_ip,", "action: purge,")
    assert errors_of(text)[0].endswith("retention[0].action: must be delete, anonymize_ip or anonymize")


def test_retain_from_needs_a_period():
    text = broken("until: 7 years, from: issued_at", "from: issued_at")
    assert errors_of(text)[0].endswith(
        "sources[0].tables[4].erasure.retain.until: a period such as 7 years is required when from is given")


def test_retain_until_may_be_a_date():
    text = broken("until: 7 years, from: issued_at", "until: 2031-12-31")
    invoices = parse_datamap(text, env=ENV).sources[0].table("invoices")
    assert invoices.erasure.until == dt.date(2031, 12, 31)


def test_redact_with_custom_text():
    text = broken("user_agent: null", "user_agent: {redact: '[gone]'}, referrer: redact, email: hash")
    columns = dict(parse_datamap(text, env=ENV).sources[0].table("widget_visits").erasure.columns)
    assert columns["user_agent"] == ColumnStrategy("redact", text="[gone]")
    assert columns["referrer"] == ColumnStrategy("redact", text="[redacted]")
    assert columns["email"] == ColumnStrategy("hash")


def test_erasure_on_a_table_requests_do_not_reach():
    text = SPEC_EXAMPLE.replace("    recipients:", "      - name: server_logs\n        erasure: delete\n    recipients:")
    assert errors_of(text) == [f"acme.yml:{line_of(text, 'erasure: delete', 3)}: sources[0].tables[5].erasure: "
                               "applies only to tables that requests reach: give server_logs an identity or a link"]


def test_unknown_identity_type():
    text = broken("identity: {email: email, phone: phone}", "identity: {emial: email}")
    assert errors_of(text)[0].endswith(
        'sources[0].tables[0].identity.emial: "emial" is not an identity kind (did you mean "email"?): use one of '
        'email, phone, customer_id, or declare it under identities: at the top of the file (emial: {label: "..."})')


def test_every_error_is_collected_in_file_order():
    text = broken("after: 12 months", "after: 12 monts").replace("user.name", "user.nam")
    text = text.replace("- name: support_tickets", "- name: support_tickets\n        colour: blue")
    errors = errors_of(text)
    assert len(errors) == 3
    assert [int(e.split(":")[1]) for e in errors] == sorted(int(e.split(":")[1]) for e in errors)


def test_data_map_error_is_a_validation_error_with_details():
    with pytest.raises(ValidationError) as caught:
        parse_datamap(broken("after: 12 months", "after: soon"), name="acme.yml", env=ENV)
    assert caught.value.code == "invalid_datamap"
    assert caught.value.details["errors"] == [str(i) for i in caught.value.issues]


def test_load_from_file_and_missing_file(tmp_path):
    path = tmp_path / "acme.yml"
    path.write_text(SPEC_EXAMPLE)
    assert load_datamap(path, env=ENV).path == str(path)
    with pytest.raises(DataMapError) as caught:
        load_datamap(tmp_path / "nope.yml")
    assert str(caught.value).startswith(f"{tmp_path / 'nope.yml'}:1: cannot read the file")


@pytest.mark.parametrize("start, period, expected", [
    (dt.date(2024, 1, 31), Duration(1, "months"), dt.date(2024, 2, 29)),
    (dt.date(2024, 2, 29), Duration(1, "years"), dt.date(2025, 2, 28)),
    (dt.date(2024, 3, 1), Duration(30, "days"), dt.date(2024, 3, 31)),
    (dt.date(2023, 12, 15), Duration(2, "weeks"), dt.date(2023, 12, 29)),
    (dt.datetime(2020, 8, 31, 10), Duration(7, "years"), dt.datetime(2027, 8, 31, 10)),
])
def test_durations_follow_the_calendar(start, period, expected):
    assert period.after(start) == expected
    assert str(Duration(1, "years")) == "1 year" and str(Duration(12, "months")) == "12 months"


def test_duration_before_is_the_cutoff():
    assert Duration(12, "months").before(dt.date(2025, 3, 31)) == dt.date(2024, 3, 31)
