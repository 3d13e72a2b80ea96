"""`dsar datamap check`: the map in plain words, and its comparison with the live databases."""
from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from dsar.datamap.check import check_datamap
from dsar.datamap.cli import datamap_cli
from tests.sample_app_db import sample_datamap_yaml

NO_RETENTION = ("app.accounts: holds personal data but has no retention rule; "
                "it is kept until an erasure request")


def write(tmp_path, text: str, name: str = "acme.yml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def test_offline_report_explains_every_table_and_rule(tmp_path):
    report = check_datamap(write(tmp_path, sample_datamap_yaml("sqlite:///unused.db")), offline=True)
    text = report.render()
    assert report.ok and report.errors == []
    for line in [
        "source app (sqlite:///unused.db), only rows where business_id = '42'",
        "recipients (Art. 19): Stripe, SendGrid",
        "messages         messages.conversation_id → conversations.id, conversations.account_id → accounts.id; "
        "accounts found by email, phone, customer_id",
        "server_logs      not part of requests (retention only)",
        "conversations: rows older than 12 months by created_at are deleted",
        "widget_visits: IP addresses in ip of rows older than 30 days by visited_at are masked (level 1)",
        "widget_visits: anonymized on erasure (ip: IP address masked (level 3), user_agent: emptied)",
        "invoices: kept on erasure for 7 years from issued_at — Tax law: legal obligation, Art. 17(3)(b)",
        "server_logs: rows older than 90 days by logged_at are deleted",
        NO_RETENTION,
    ]:
        assert line in text, line
    assert text.rstrip().endswith("OK, 1 warning(s)")


def test_invalid_map_reports_its_errors(tmp_path):
    text = sample_datamap_yaml("sqlite:///x.db").replace("12 months", "12 monts", 1)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "12 monts" in row)
    path = write(tmp_path, text)
    report = check_datamap(path, offline=True)
    assert not report.ok
    assert report.errors == [f'{path}:{line}: sources[0].tables[1].retention.after: "12 monts" is not a duration '
                             '(use e.g. "30 days", "12 months", "7 years")']


def test_well_indexed_database_has_no_index_warnings(sample_app, tmp_path):
    report = check_datamap(write(tmp_path, sample_datamap_yaml(sample_app.url)))
    assert report.ok, report.render()
    assert report.warnings == [NO_RETENTION]


def test_missing_indexes_are_warned(sample_app, tmp_path):
    execute(sample_app.url, "DROP INDEX ix_conversations_account_id", "DROP INDEX ix_messages_created_at",
            "DROP INDEX ix_accounts_email_lower", "DROP INDEX ix_support_tickets_email_lower",
            "CREATE INDEX ix_plain_ticket_email ON support_tickets (email)")
    report = check_datamap(write(tmp_path, sample_datamap_yaml(sample_app.url)))
    assert report.ok
    assert set(report.warnings) == {
        NO_RETENTION,
        "app.accounts.email: no index on lower(email) (used as identity email; each request scans the table)",
        "app.conversations.account_id: no index (used as link; each request scans the table)",
        "app.messages.created_at: no index (used as retention from; each purge scans the table)",
        "app.support_tickets.email: e-mail lookups compare lower(email), which its index cannot serve: "
        "index lower(email) (used as identity email; each request scans the table)",
    }


def test_missing_tables_and_columns_are_errors(sample_app, tmp_path):
    text = sample_datamap_yaml(sample_app.url)
    text = text.replace("name: user.name}", "name: user.name, nickname: user.name}")
    text = text.replace("- name: server_logs", "- name: audit_trail")
    report = check_datamap(write(tmp_path, text))
    assert not report.ok
    assert report.errors == ["app.accounts.nickname: column does not exist (used as category)",
                             'app.audit_trail: table "audit_trail" does not exist']


def test_emptying_a_not_null_column_is_an_error(sample_app, tmp_path):
    text = sample_datamap_yaml(sample_app.url).replace(
        "categories: {email: user.contact.email, body: user.content}",
        "categories: {email: user.contact.email, body: user.content}\n"
        "        erasure: {anonymize: {subject_line: null, body: redact}}")
    report = check_datamap(write(tmp_path, text))
    assert report.errors == ["app.support_tickets.subject_line: is NOT NULL, so erasure cannot empty it "
                             "(use redact or hash)"]


def test_identity_table_without_the_scope_column_is_warned(sample_app, tmp_path):
    text = sample_datamap_yaml(sample_app.url).replace("column: business_id", "column: shop_id")
    report = check_datamap(write(tmp_path, text))
    assert [w for w in report.warnings if "scope" in w] == [
        f"app.{table}: has no shop_id column, so the source's scope does not apply: rows of other "
        "businesses with the same identity would match" for table in ("accounts", "support_tickets")]


def test_a_down_source_is_one_error_line(tmp_path):
    url = "postgresql+psycopg://app:hunter2@127.0.0.1:1/app"
    report = check_datamap(write(tmp_path, sample_datamap_yaml(url)))
    [error] = report.errors
    assert error.startswith('source "app" could not be reached: ')
    assert "hunter2" not in report.render() and "app:***@127.0.0.1" in report.render()


def test_cli_check_exit_codes(sample_app, tmp_path):
    runner = CliRunner()
    good = write(tmp_path, sample_datamap_yaml(sample_app.url))
    result = runner.invoke(datamap_cli, ["check", str(good)])
    assert result.exit_code == 0 and "OK, 1 warning(s)" in result.output
    bad = write(tmp_path, sample_datamap_yaml(sample_app.url).replace("user.name", "user.nmae"), "bad.yml")
    result = runner.invoke(datamap_cli, ["check", str(bad), "--offline"])
    assert result.exit_code == 1 and '"user.nmae" is not a fideslang data category' in result.output


def test_cli_missing_file_is_one_line(tmp_path):
    result = CliRunner().invoke(datamap_cli, ["check", str(tmp_path / "nope.yml")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {tmp_path / 'nope.yml'}: no such file"]
