"""Customer-database fixtures: each test that takes ``source_url`` runs on SQLite and PostgreSQL.

``pg_server`` comes from ``tests/conftest.py``. Every test gets a fresh database, so tests
that erase rows cannot disturb one another.
"""
from __future__ import annotations

import uuid

import pytest

from dsar.datamap.loader import parse_datamap
from dsar.datamap.model import DataMap
from dsar.datamap.sources import dispose_engines
from tests.sample_app_db import SampleApp, create_sample_app, sample_datamap_yaml

SOURCE_BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=SOURCE_BACKENDS)
def source_url(request, tmp_path):
    """An SQLAlchemy URL to a fresh, empty customer database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/customer_app.db"
        dispose_engines()
        return
    server = request.getfixturevalue("pg_server")
    name = f"customer_{uuid.uuid4().hex[:12]}"
    yield server.url_for(name)
    dispose_engines()  # release pooled connections before the database goes
    server.drop(name)


@pytest.fixture
def sample_app(source_url) -> SampleApp:
    return create_sample_app(source_url)


@pytest.fixture
def datamap(sample_app) -> DataMap:
    return parse_datamap(sample_datamap_yaml(sample_app.url), name="acme.yml")
