"""The sample application in a fresh customer database (``source_url``, from
tests/conftest.py: SQLite and PostgreSQL), and its data map."""
from __future__ import annotations


import pytest

from dsar.datamap.loader import parse_datamap
from dsar.datamap.model import DataMap
from tests.sample_app_db import SampleApp, create_sample_app, sample_datamap_yaml



@pytest.fixture
def sample_app(source_url) -> SampleApp:
    return create_sample_app(source_url)


@pytest.fixture
def datamap(sample_app) -> DataMap:
    return parse_datamap(sample_datamap_yaml(sample_app.url), name="acme.yml")
