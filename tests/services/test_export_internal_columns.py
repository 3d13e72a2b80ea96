"""An access export leaves out the data map's scope column (``business_id``): it says which
of the company's customers a row belongs to, nothing about the subject. On SQLite and
PostgreSQL on both sides."""
from __future__ import annotations

import csv
import io
import json

from tests.downloads.fixtures import export_bytes, make_request, only_export, open_zip
from tests.factories import fulfil


def test_exported_rows_have_no_scope_column(acme, sample):
    alice = sample.subject("alice@example.com")
    request = make_request(acme, "access")
    fulfil(request, "test")
    archive = open_zip(export_bytes(only_export(request)))
    for table in ("accounts", "support_tickets"):  # the tables of the sample that carry business_id
        rows = json.loads(archive.read(f"data/app/{table}.json"))
        assert {row["id"] for row in rows} == alice.rows[table]
        assert rows and all("business_id" not in row and "id" in row for row in rows)
        header = next(csv.reader(io.StringIO(archive.read(f"data/app/{table}.csv").decode("utf-8-sig"))))
        assert "business_id" not in header and "email" in header
