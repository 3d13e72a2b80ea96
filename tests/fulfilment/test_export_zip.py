"""The access/portability ZIP: contents, manifest, cover letter, streaming, memory bound."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import tracemalloc
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from dsar.crypto import KeyRing, generate_key
from dsar.errors import ValidationError
from dsar.fulfilment.encrypted_files import iter_decrypted, write_encrypted
from dsar.fulfilment.export_zip import ExportContext, ExportTable, build_export_zip

GENERATED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=timezone(timedelta(hours=1)))

ACCOUNTS = [
    {"id": 1, "email": "zoë@example.org", "name": "Zoë Ünïcødé 日本", "active": True, "score": 1.5},
    {"id": 2, "email": "ada@example.org", "name": "Ada, \"the\" first\nline two", "active": False, "score": None},
]
TICKETS = [
    {"id": 10, "account_id": 1, "body": "Hello 👋", "meta": {"tags": ["a", "b"]}},
    {"id": 11, "account_id": 1, "body": "", "meta": None},
    {"id": 12, "account_id": 2, "body": "=1+1", "meta": [1, 2]},
]


def context(**overrides) -> ExportContext:
    values = dict(
        reference="DSAR-2025-0042",
        tenant_name="Acme Ltd",
        generated_at=GENERATED,
        subject_label="zoë@example.org",
        purposes=["Providing the chat service", "Customer support"],
        categories={"app/accounts": ["user.contact.email", "user.name"], "support/tickets": ["user.content"]},
        recipients=["Stripe", "SendGrid"],
        retention={"app/accounts": "30 days after you close your account", "support/tickets": "2 years after the last message"},
        data_source="Provided by you when you signed up and contacted support.",
        controller_contact="privacy@acme.example, 1 Acme Street, London",
        authority_name="Information Commissioner's Office",
        authority_url="https://ico.org.uk/make-a-complaint/",
    )
    values.update(overrides)
    return ExportContext(**values)


def table(source, name, rows, batch=2, columns=None) -> ExportTable:
    columns = columns or (list(rows[0]) if rows else ["id"])
    return ExportTable(source, name, columns, [rows[i : i + batch] for i in range(0, len(rows), batch)])


def sample_tables() -> list[ExportTable]:
    return [
        table("app", "accounts", ACCOUNTS),
        table("app", "server_logs", []),
        table("support", "tickets", TICKETS, batch=1),
    ]


def unzip(ctx: ExportContext, tables) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(build_export_zip(ctx, tables))))
    assert archive.testzip() is None
    return archive


def csv_cell(value) -> str:
    """What the CSV is expected to hold for a JSON value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
    return json.dumps(value, ensure_ascii=False)


def read_csv(archive: zipfile.ZipFile, path: str) -> list[dict[str, str]]:
    raw = archive.read(path)
    assert raw.startswith("\ufeff".encode()), "BOM so spreadsheets read UTF-8"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_member_layout():
    archive = unzip(context(), sample_tables())
    assert archive.namelist() == [
        "data/app/accounts.json",
        "data/app/accounts.csv",
        "data/support/tickets.json",
        "data/support/tickets.csv",
        "README.html",
        "manifest.json",
    ]


@pytest.mark.parametrize("path, rows", [("data/app/accounts", ACCOUNTS), ("data/support/tickets", TICKETS)])
def test_json_and_csv_hold_exactly_the_input_rows(path, rows):
    archive = unzip(context(), sample_tables())
    assert json.loads(archive.read(path + ".json").decode("utf-8")) == rows
    assert read_csv(archive, path + ".csv") == [{k: csv_cell(v) for k, v in row.items()} for row in rows]


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://evil\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_escapes_formula_starts_and_json_keeps_the_raw_value(value):
    rows = [{"a": value, "b": -5}]
    archive = unzip(context(), [ExportTable("s", "t", ["a", "b"], [rows])])
    assert read_csv(archive, "data/s/t.csv") == [{"a": "'" + value, "b": "-5"}]
    assert json.loads(archive.read("data/s/t.json").decode("utf-8")) == rows


def test_csv_leaves_ordinary_text_alone():
    rows = [{"a": "alice@example.com", "b": "a=b"}]
    archive = unzip(context(), [ExportTable("s", "t", ["a", "b"], [rows])])
    assert read_csv(archive, "data/s/t.csv") == [{"a": "alice@example.com", "b": "a=b"}]


def test_json_is_one_row_per_line_and_keeps_unicode_readable():
    archive = unzip(context(), sample_tables())
    text = archive.read("data/app/accounts.json").decode("utf-8")
    assert text.splitlines()[0] == "["
    assert len(text.splitlines()) == len(ACCOUNTS) + 2
    assert "Zoë Ünïcødé 日本" in text


def test_csv_header_follows_columns_and_missing_keys_are_empty():
    rows = [{"b": 1}, {"a": "x", "b": 2}]
    archive = unzip(context(), [ExportTable("s", "t", ["a", "b"], [rows])])
    assert read_csv(archive, "data/s/t.csv") == [{"a": "", "b": "1"}, {"a": "x", "b": "2"}]


def test_manifest_counts_and_checksums_match_the_members():
    archive = unzip(context(), sample_tables())
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["reference"] == "DSAR-2025-0042"
    assert manifest["generated_at"] == "2025-03-14T09:26:53+01:00"
    assert datetime.fromisoformat(manifest["generated_at"]) == GENERATED
    expected_rows = {"data/app/accounts": 2, "data/support/tickets": 3}
    assert [entry["path"] for entry in manifest["files"]] == [
        name for name in archive.namelist() if name.startswith("data/")
    ]
    for entry in manifest["files"]:
        member = archive.read(entry["path"])
        assert entry["rows"] == expected_rows[entry["path"].rsplit(".", 1)[0]]
        assert entry["size"] == len(member)
        assert entry["sha256"] == hashlib.sha256(member).hexdigest()
    letter = archive.read("README.html")
    assert manifest["cover_letter"]["sha256"] == hashlib.sha256(letter).hexdigest()


def test_cover_letter_has_the_article_15_sections():
    letter = unzip(context(), sample_tables()).read("README.html").decode("utf-8")
    for section in ("contents", "purposes", "categories", "recipients", "retention", "source", "rights", "complaints", "contact"):
        assert f'<section id="{section}">' in letter
    for text in (
        "DSAR-2025-0042",
        "Customer support",
        "User Contact Email",  # fideslang's name of user.contact.email
        "SendGrid",
        "2 years after the last message",
        "Provided by you when you signed up",
        "data/support/tickets.csv",
        "Portability",
        '<a href="https://ico.org.uk/make-a-complaint/">',
        "privacy@acme.example",
    ):
        assert text in letter, text


def test_cover_letter_names_tables_searched_without_data():
    archive = unzip(context(), sample_tables())
    letter = archive.read("README.html").decode("utf-8")
    assert "searched these places and found nothing about you:\nserver_logs." in letter
    assert not any("server_logs" in name for name in archive.namelist())


def test_cover_letter_names_tables_by_the_data_maps_labels_never_source_table():
    labels = {"app/accounts": "Your account", "support/tickets": "Your support tickets", "app/server_logs": "Server logs"}
    letter = unzip(context(labels=labels), sample_tables()).read("README.html").decode("utf-8")
    for label in labels.values():
        assert label in letter
    assert "(app)" not in letter and "app/accounts" not in letter.replace("data/app/accounts", "")


def test_cover_letter_escapes_every_value():
    ctx = context(
        subject_label="<script>alert(1)</script>",
        tenant_name="Bad & <b>Co</b>",
        purposes=["<img src=x onerror=alert(1)>"],
        authority_name="<i>Authority</i>",
        authority_url="javascript:alert(1)",
    )
    letter = unzip(ctx, sample_tables()).read("README.html").decode()
    assert "<script>" not in letter and "&lt;script&gt;alert(1)&lt;/script&gt;" in letter
    assert "Bad &amp; &lt;b&gt;Co&lt;/b&gt;" in letter
    assert "<img" not in letter and "<i>" not in letter
    assert 'href="javascript' not in letter, "only http(s) addresses become links"


def test_empty_export_still_has_manifest_and_letter():
    archive = unzip(context(), [table("app", "accounts", []), ExportTable("app", "x", ["id"], [[], []])])
    assert archive.namelist() == ["README.html", "manifest.json"]
    assert json.loads(archive.read("manifest.json"))["files"] == []
    assert "We found no personal data about you" in archive.read("README.html").decode()


def test_no_tables_at_all():
    archive = unzip(context(), [])
    assert archive.namelist() == ["README.html", "manifest.json"]


def test_nothing_is_read_until_the_stream_is_iterated():
    def batches():
        raise AssertionError("read too early")
        yield []

    build_export_zip(context(), [ExportTable("a", "b", ["id"], batches())])


@pytest.mark.parametrize("source, name", [
    ("app", "../etc"), ("..", "t"), ("app", ".hidden"), ("a/b", "t"), ("a\\b", "t"), ("app", ""), ("app", "<t>"), ("app", "a:b"),
])
def test_unsafe_names_are_refused(source, name):
    with pytest.raises(ValidationError, match="file name"):
        b"".join(build_export_zip(context(), [table(source, name, ACCOUNTS)]))


def test_a_table_exported_twice_is_refused():
    with pytest.raises(ValidationError, match="twice"):
        b"".join(build_export_zip(context(), [table("a", "t", ACCOUNTS), table("a", "t", [])]))


def test_naive_timestamp_is_refused():
    with pytest.raises(ValidationError, match="timezone"):
        build_export_zip(context(generated_at=datetime(2025, 1, 1)), [])


def test_members_are_private_files():
    archive = unzip(context(), sample_tables())
    assert {info.external_attr >> 16 & 0o777 for info in archive.infolist()} == {0o600}


def many_rows(count: int, batch: int = 1000):
    """Rows made on demand, as a database cursor would hand them over."""
    for start in range(0, count, batch):
        yield [
            {"id": i, "email": f"user{i}@example.org", "note": "ü" * 20, "ok": i % 2 == 0}
            for i in range(start, min(start + batch, count))
        ]


def test_memory_stays_flat_for_a_large_export():
    rows = 200_000
    tables = [ExportTable("app", "events", ["id", "email", "note", "ok"], many_rows(rows))]
    digest, total = hashlib.sha256(), 0
    tracemalloc.start()
    try:
        for chunk in build_export_zip(context(), tables):
            digest.update(chunk)
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert total > 1_000_000  # the data really went through


def test_large_export_counts_are_right():
    rows = 20_001
    ctx = context()
    archive = unzip(ctx, [ExportTable("app", "events", ["id", "email", "note", "ok"], many_rows(rows, 997))])
    manifest = json.loads(archive.read("manifest.json"))
    assert [entry["rows"] for entry in manifest["files"]] == [rows, rows]
    assert len(json.loads(archive.read("data/app/events.json"))) == rows
    assert len(read_csv(archive, "data/app/events.csv")) == rows


def test_encrypted_at_rest_and_opens_as_a_zip(tmp_path):
    keyring = KeyRing.from_config(generate_key(), "secret")
    path = tmp_path / "DSAR-2025-0042.zip.enc"
    size, sha = write_encrypted(path, build_export_zip(context(), sample_tables()), keyring)

    plain = b"".join(iter_decrypted(path, keyring))
    assert (len(plain), hashlib.sha256(plain).hexdigest()) == (size, sha)
    assert b"ada@example.org" not in path.read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(plain))
    assert archive.testzip() is None
    assert json.loads(archive.read("data/app/accounts.json")) == ACCOUNTS
