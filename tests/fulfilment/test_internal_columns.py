"""Internal columns (the source's tenant scope) are left out of the export's files."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime, timezone

from dsar.fulfilment.export_zip import ExportContext, ExportTable, build_export_zip

CONTEXT = ExportContext(reference="DSAR-1", tenant_name="Acme", subject_label="zoe@example.org",
                        generated_at=datetime(2026, 11, 18, 10, tzinfo=timezone.utc))


def test_omitted_columns_are_in_neither_the_json_nor_the_csv():
    rows = [{"id": 1, "business_id": 42, "email": "zoe@example.org"}, {"id": 2, "business_id": 42, "email": "z@x"}]
    table = ExportTable("app", "accounts", ["id", "business_id", "email"], [rows[:1], rows[1:]],
                        omit=frozenset({"business_id"}))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(build_export_zip(CONTEXT, [table]))))
    assert json.loads(archive.read("data/app/accounts.json")) == [
        {"id": 1, "email": "zoe@example.org"}, {"id": 2, "email": "z@x"}]
    reader = csv.DictReader(io.StringIO(archive.read("data/app/accounts.csv").decode("utf-8-sig")))
    assert reader.fieldnames == ["id", "email"] and len(list(reader)) == 2
    manifest = json.loads(archive.read("manifest.json"))
    assert {entry["path"]: entry["rows"] for entry in manifest["files"]} == {
        "data/app/accounts.json": 2, "data/app/accounts.csv": 2}
