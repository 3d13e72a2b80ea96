"""The pages a newcomer reaches first: `/`, a tenant's portal, and error answers.

Staff sign-in is tested in tests/auth/."""
from tests.factories import make_tenant


def test_root_without_tenant_explains_what_to_do(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"dsar demo" in response.data


def test_root_leads_to_the_only_tenant_portal(client):
    make_tenant("acme", name="Acme Chat")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/t/acme/")
    portal = client.get("/t/acme/")
    assert portal.status_code == 200
    assert b"Acme Chat" in portal.data and b'name="email"' in portal.data and b'method="post"' in portal.data


def test_unknown_tenant_is_404(client):
    assert client.get("/t/nobody/").status_code == 404


def test_api_errors_use_the_json_envelope(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"]["code"] == "not_found" and body["error"]["message"]
