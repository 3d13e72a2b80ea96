"""The database going away gives a clear 503 (a page, or the JSON envelope), never a
traceback; and the app recovers by itself when the database is back."""
import shutil
import tempfile
from pathlib import Path

import pytest

from dsar import create_app
from dsar.extensions import db
from tests.conftest import environ_for
from tests.factories import make_tenant
from tests.postgres_server import PostgresServer


def _assert_unavailable(client):
    page = client.get("/t/acme/")
    assert page.status_code == 503
    assert b"temporarily unavailable" in page.data and b"Traceback" not in page.data
    api = client.get("/api/v1/requests", headers={"Authorization": "Bearer dsar_whatever"})
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "service_unavailable"


def test_postgresql_stopping_and_coming_back(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="dsar-pg-down-"))
    server = PostgresServer(base).start()
    try:
        app = create_app({"TESTING": False}, environ=environ_for(server.url_for("down"), tmp_path),
                         instance_path=str(tmp_path))
        client = app.test_client()
        with app.app_context():
            db.create_all()
            make_tenant("acme")
        assert client.get("/t/acme/").status_code == 200
        server.stop(mode="fast")
        _assert_unavailable(client)
        server.start_again()
        assert client.get("/t/acme/").status_code == 200
        with app.app_context():
            db.engine.dispose()
    finally:
        server.stop_quietly()
        shutil.rmtree(base, ignore_errors=True)


def test_sqlite_file_that_cannot_be_opened(tmp_path):
    environ = environ_for(f"sqlite:///{tmp_path}/missing-dir/dsar.db", tmp_path)
    app = create_app({"TESTING": False}, environ=environ, instance_path=str(tmp_path))
    _assert_unavailable(app.test_client())


@pytest.mark.parametrize("path", ["/t/acme/", "/api/v1/requests"])
def test_unexpected_errors_are_500_without_details(tmp_path, path, monkeypatch):
    """A bug answers a plain 500 in the right format; the traceback only goes to the log."""
    app = create_app({"TESTING": False}, environ=environ_for(f"sqlite:///{tmp_path}/x.db", tmp_path),
                     instance_path=str(tmp_path))
    with app.app_context():
        db.create_all()  # a working database: an empty one answers "run `dsar db upgrade`" first

    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("dsar.services.tenants.get_tenant", broken)
    monkeypatch.setattr("dsar.portal.views.get_tenant", broken, raising=False)
    monkeypatch.setattr("dsar.api.auth.tenant_for_token", broken)
    response = app.test_client().get(path, headers={"Authorization": "Bearer x"})
    assert response.status_code == 500
    assert b"secret internal detail" not in response.data and b"Traceback" not in response.data
