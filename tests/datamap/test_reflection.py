"""What reading a live table brings: all of it for erasure, its columns and key for retention."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsar.datamap.model import Source
from dsar.datamap.sources import DataMapMismatch, connect, reflect

SCHEMA = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE)",
    "CREATE TABLE order_lines (order_no VARCHAR(20) NOT NULL, line INTEGER NOT NULL, "
    "customer_id INTEGER REFERENCES customers (id), ip VARCHAR(45), placed_at TIMESTAMP NOT NULL, "
    "PRIMARY KEY (line, order_no))",
)


@pytest.fixture
def shop(source_url):
    with sa.create_engine(source_url).begin() as conn:
        for statement in SCHEMA:
            conn.exec_driver_sql(statement)
    return Source(name="shop", url=source_url, tables=())


def _shape(table: sa.Table):
    return ([(c.name, type(c.type).__name__, getattr(c.type, "length", None), c.nullable) for c in table.c],
            [c.name for c in table.primary_key.columns])


def test_retention_reads_the_same_columns_and_key_without_the_tables_its_foreign_keys_name(shop):
    with connect(shop) as conn:
        whole = reflect(conn, shop, ["order_lines"])["order_lines"]
        light = reflect(conn, shop, ["order_lines"], whole=False)["order_lines"]

    assert _shape(light) == _shape(whole)
    assert _shape(light)[1] == ["line", "order_no"]  # the key's own order, not the columns'
    assert "customers" in whole.metadata.tables  # a whole table brings what it refers to
    assert list(light.metadata.tables) == ["order_lines"]
    assert not light.foreign_keys and not light.indexes


def test_a_missing_table_is_named_either_way(shop):
    with connect(shop) as conn:
        for whole in (True, False):
            with pytest.raises(DataMapMismatch, match='table "orders" of source "shop" does not exist'):
                reflect(conn, shop, ["orders"], whole=whole)
