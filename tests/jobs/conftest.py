"""Fixtures for job tests: a tenant ``acme`` whose data map describes a sample customer
database of the same kind as the app's (SQLite beside SQLite, PostgreSQL beside PostgreSQL)."""
from __future__ import annotations

from pathlib import Path

import pytest

from dsar.extensions import db
from dsar.models import Tenant
from tests.factories import make_tenant
from tests.sample_app_db import SampleApp, create_sample_app, sample_datamap_yaml


@pytest.fixture
def sample(customer_url) -> SampleApp:
    return create_sample_app(customer_url, subjects=5, heavy_messages=30)


def attach_datamap(app, tenant: Tenant, text: str) -> Path:
    """Write ``text`` as the tenant's data map in DSAR_DATAMAP_DIR (a relative path, as stored)."""
    folder = Path(app.config["DSAR_DATAMAP_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{tenant.slug}.yml"
    path.write_text(text)
    tenant.datamap_path = path.name
    db.session.commit()
    return path


@pytest.fixture
def acme(app, sample) -> Tenant:
    tenant = make_tenant("acme")
    attach_datamap(app, tenant, sample_datamap_yaml(sample.url, tenant="acme"))
    return tenant
