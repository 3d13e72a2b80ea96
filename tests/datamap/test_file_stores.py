"""File stores in the data map (SPEC §6 "Files"): ``stores:`` at the top, ``files:`` on a
table. Every mistake names the file, the line and the key path."""
from __future__ import annotations

import pytest

from dsar.datamap.loader import DataMapError, parse_datamap
from dsar.datamap.model import Store

ENV = {"DB_URL": "sqlite:///app.db", "S3_ENDPOINT": "http://127.0.0.1:9000", "S3_KEY": "k", "S3_SECRET": "s"}

MAP = """\
tenant: acme
stores:
  - name: media
    url: s3://acme-media/uploads
    options: {endpoint_url: "${S3_ENDPOINT}", key: "${S3_KEY}", secret: "${S3_SECRET}"}
  - name: local
    url: file:///var/lib/app/uploads
sources:
  - name: app
    url: ${DB_URL}
    tables:
      - name: accounts
        primary_key: id
        identity: {email: email}
        files: {avatar_key: local}
      - name: attachments
        primary_key: id
        link: {account_id: accounts.id}
        files: {storage_key: media, thumbnail_key: media}
"""


def errors(text: str, env=ENV) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        parse_datamap(text, name="acme.yml", env=env)
    return [str(issue) for issue in caught.value.issues]


def test_stores_and_file_columns_load():
    datamap = parse_datamap(MAP, name="acme.yml", env=ENV)
    assert datamap.stores == (
        Store("media", "s3://acme-media/uploads",
              (("endpoint_url", "http://127.0.0.1:9000"), ("key", "k"), ("secret", "s"))),
        Store("local", "file:///var/lib/app/uploads"))
    tables = datamap.source("app").tables
    assert tables[0].files == (("avatar_key", "local"),)
    assert tables[1].files == (("storage_key", "media"), ("thumbnail_key", "media"))


def test_a_map_without_stores_has_none():
    text = MAP.split("sources:")[0].split("stores:")[0] + "sources:" + MAP.split("sources:")[1]
    text = text.replace("        files: {avatar_key: local}\n", "").replace(
        "        files: {storage_key: media, thumbnail_key: media}\n", "")
    assert parse_datamap(text, env=ENV).stores == ()


def test_options_secret_is_not_in_the_repr():
    assert "secret" not in repr(parse_datamap(MAP, env=ENV).store("media"))


@pytest.mark.parametrize(("find", "replace", "line", "expected"), [
    ("files: {storage_key: media,", "files: {storage_key: medai,", 19,
     'acme.yml:19: sources[0].tables[1].files.storage_key: "medai" is not a store (did you mean "media"?)'),
    ("url: s3://acme-media/uploads", "url: gs://acme-media/uploads", 4,
     'acme.yml:4: stores[0].url: "gs" is not a file store dsar supports'),
    ("url: s3://acme-media/uploads", "url: s3://A/uploads", 4,
     'acme.yml:4: stores[0].url: "s3://A/uploads" does not name an S3 bucket'),
    ("url: file:///var/lib/app/uploads", "url: file://relative/path", 7,
     'acme.yml:7: stores[1].url: "file://relative/path" is not an absolute file:// path'),
    ("url: file:///var/lib/app/uploads", "url: /var/lib/app/uploads", 7,
     "acme.yml:7: stores[1].url: must be a file store URL"),
    ("- name: local", "- name: media", 6, 'acme.yml:6: stores[1].name: store "media" is defined twice'),
    ('options: {endpoint_url: "${S3_ENDPOINT}", key: "${S3_KEY}", secret: "${S3_SECRET}"}',
     "options: [endpoint_url]", 5, "acme.yml:5: stores[0].options: must be a mapping of fsspec storage options"),
    ("    url: s3://acme-media/uploads\n", "    url: s3://acme-media/uploads\n    bucket: x\n", 5,
     'acme.yml:5: stores[0].bucket: unknown key "bucket"'),
    ("  - name: local\n", "  - nme: local\n", 6, "acme.yml:6: stores[1].name: is required"),
    ("files: {avatar_key: local}", "files: {}", 15, "acme.yml:15: sources[0].tables[0].files: must not be empty"),
    ("files: {avatar_key: local}", "files: [avatar_key]", 15,
     "acme.yml:15: sources[0].tables[0].files: must be a mapping of column: value"),
    ("files: {avatar_key: local}", "files: {avatar_key: 3}", 15,
     "acme.yml:15: sources[0].tables[0].files.avatar_key: must be text"),
])
def test_mistakes_name_file_line_and_key(find, replace, line, expected):
    assert find in MAP
    found = errors(MAP.replace(find, replace))
    assert expected.startswith(f"acme.yml:{line}: ")
    assert any(issue.startswith(expected) for issue in found), found


def test_a_missing_environment_variable_in_options_is_named():
    env = {key: value for key, value in ENV.items() if key != "S3_SECRET"}
    assert errors(MAP, env) == ["acme.yml:5: stores[0].options.secret: environment variable S3_SECRET is not set"]


def test_stores_must_be_a_list():
    text = MAP.replace(MAP[MAP.index("stores:"):MAP.index("sources:")], "stores: {media: s3://x}\n")
    found = errors(text.replace(" files: {avatar_key: local}", " shared: false").replace(
        "files: {storage_key: media, thumbnail_key: media}", "shared: false"))
    assert found == ["acme.yml:2: stores: must be a list"]


def test_a_table_requests_never_reach_cannot_have_files():
    text = MAP + "      - name: server_logs\n        files: {dump_key: media}\n"
    assert errors(text) == ["acme.yml:21: sources[0].tables[2].files: applies only to tables that requests "
                            "reach: give server_logs an identity or a link"]


# --- datamap check -----------------------------------------------------------------------------


def _checked(tmp_path, text: str, *, offline: bool = False):
    import sqlalchemy as sa

    from dsar.datamap.check import check_datamap

    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, avatar_key TEXT)"))
        connection.execute(sa.text("CREATE TABLE attachments (id INTEGER PRIMARY KEY, account_id INTEGER "
                                   "REFERENCES accounts(id), storage_key TEXT)"))
    engine.dispose()
    path = tmp_path / "acme.yml"
    path.write_text(text)
    return check_datamap(path, offline=offline, env={**ENV, "DB_URL": url})


def _local_map(folder) -> str:
    return MAP.replace("file:///var/lib/app/uploads", f"file://{folder}").replace(
        "url: s3://acme-media/uploads\n    options: {endpoint_url: \"${S3_ENDPOINT}\", key: \"${S3_KEY}\", "
        "secret: \"${S3_SECRET}\"}", f"url: file://{folder}").replace(", thumbnail_key: media", "")


def test_check_lists_each_store_and_its_columns(tmp_path):
    (tmp_path / "up").mkdir()
    report = _checked(tmp_path, _local_map(tmp_path / "up"))
    assert report.ok, report.render()
    assert any(line.startswith("file store media (file://") and "app.attachments.storage_key" in line
               for line in report.lines)


def test_check_offline_does_not_reach_the_stores(tmp_path):
    report = _checked(tmp_path, _local_map(tmp_path / "nowhere"), offline=True)
    assert report.ok, report.render()


def test_check_online_says_in_one_line_which_store_cannot_be_listed(tmp_path):
    report = _checked(tmp_path, _local_map(tmp_path / "nowhere"))
    assert report.errors == ['file store "media" cannot be listed: its folder or bucket does not exist',
                             'file store "local" cannot be listed: its folder or bucket does not exist']


def test_check_online_names_a_file_column_that_does_not_exist(tmp_path):
    (tmp_path / "up").mkdir()
    report = _checked(tmp_path, _local_map(tmp_path / "up").replace("storage_key: media", "blob_key: media"))
    assert report.errors == ["app.attachments.blob_key: column does not exist (used as files of store media)"]
