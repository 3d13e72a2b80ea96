"""Fixtures every test reuses.

Every test that touches the database takes ``app`` (or something built on it) and so runs
twice: on SQLite and on a real PostgreSQL started by this session (``pg_server``). The
PostgreSQL leg is never skipped: a missing binary fails the run.
"""
from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from dsar import create_app
from dsar.extensions import db
from tests.clock import pytest_addoption, pytest_configure, pytest_report_header, test_clock  # noqa: F401  (hooks)
from tests.files.fixtures import file_store, seaweed  # noqa: F401  (fixtures: file stores, SeaweedFS)
from tests.postgres_server import PostgresServer

BACKENDS = ("sqlite", "postgresql")
#: Fixed test keys: never used outside tests.
TEST_ENCRYPTION_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE="
TEST_SECRET = "test-secret-key-not-for-production"


@pytest.fixture(scope="session")
def pg_server():
    # Not under pytest's tmp folder: that one is root-only, and the server may run as `postgres`.
    base = Path(tempfile.mkdtemp(prefix="dsar-pg-"))
    server = PostgresServer(base).start()
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


def environ_for(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment a test app sees: fixed keys, outbox mail, no scheduler."""
    return {
        "DSAR_DATABASE_URL": database_url,
        "DSAR_SECRET_KEY": TEST_SECRET,
        "DSAR_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "DSAR_ENV": "test",
        "DSAR_SCHEDULER": "off",
        "DSAR_EXPORT_DIR": str(instance / "exports"),
        "DSAR_DATAMAP_DIR": str(instance / "datamaps"),
        "DSAR_BASE_URL": "http://localhost",
        **extra,
    }


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory, request) -> str:
    """One schema per leg for the whole session; tests clean up after themselves."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/dsar.db"
    else:
        url = request.getfixturevalue("pg_server").url_for("dsar_test")
    instance = tmp_path_factory.mktemp("schema-instance")
    app = create_app(environ=environ_for(url, instance), instance_path=str(instance))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


@pytest.fixture
def instance(tmp_path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture
def app_environ(database_url, instance) -> dict[str, str]:
    """Override in a test module (or extend) to change the app's environment."""
    return environ_for(database_url, instance)


@pytest.fixture
def app(app_environ, instance):
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False},
                     environ=app_environ, instance_path=str(instance))
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


def _customer_database(backend: str, tmp_path: Path, request, prefix: str):
    """A fresh, empty customer database of ``backend``, dropped afterwards."""
    from dsar.datamap.sources import dispose_engines

    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/{prefix}.db"
        dispose_engines()
        return
    server = request.getfixturevalue("pg_server")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    yield server.url_for(name)
    dispose_engines()  # release pooled connections before the database goes
    server.drop(name)


@pytest.fixture
def customer_url(backend, tmp_path, request):
    """The company's own database, on the same engine as this leg's dsar database."""
    yield from _customer_database(backend, tmp_path, request, "customer")


@pytest.fixture(params=BACKENDS)
def source_url(request, tmp_path):
    """A customer database for tests that need no dsar app: on SQLite and on PostgreSQL."""
    yield from _customer_database(request.param, tmp_path, request, "source")


@pytest.fixture
def sample(customer_url):
    """The sample customer application (tests/sample_app_db.py) in ``customer_url``."""
    from tests.sample_app_db import create_sample_app

    return create_sample_app(customer_url)


@pytest.fixture
def datamap_dir(app) -> Path:
    path = Path(app.config["DSAR_DATAMAP_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def acme(app, sample, datamap_dir):
    """A tenant whose data map (a real YAML file in DSAR_DATAMAP_DIR) describes ``sample``."""
    from tests.downloads.fixtures import AUTHORITY, write_datamap
    from tests.factories import make_tenant
    from tests.sample_app_db import sample_datamap_yaml

    tenant = make_tenant("acme", name="Acme Chat Ltd", datamap_path=write_datamap(
        datamap_dir, sample_datamap_yaml(sample.url)), dpo_email="dpo@acme.example")
    tenant.contact_email = "privacy@acme.example"
    tenant.settings = {"supervisory_authority": AUTHORITY}
    db.session.commit()
    return tenant


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


# --- real browser -----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def live_server(app):
    """The test app served over real HTTP on loopback, for the browser."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server)
    page = context.new_page()
    yield page
    context.close()
