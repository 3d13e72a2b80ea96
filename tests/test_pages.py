"""The pages a newcomer reaches first: `/`, a tenant's portal, `/login`, and error answers."""
import pytest

from tests.factories import PASSWORD, make_tenant, make_user


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


def test_login_page_answers(client):
    response = client.get("/login")
    assert response.status_code == 200 and b"Staff sign-in" in response.data


def test_login_with_a_wrong_password_names_the_field(client):
    tenant = make_tenant()
    user = make_user(tenant)
    response = client.post("/login", data={"email": user.email, "password": "wrong password!"})
    assert response.status_code == 400
    assert b'id="password-error"' in response.data and b"is not right" in response.data


def test_login_with_a_bad_address_names_the_field(client):
    response = client.post("/login", data={"email": "not-an-email", "password": "x"})
    assert response.status_code == 400 and b'id="email-error"' in response.data


def test_login_succeeds(client):
    user = make_user(make_tenant())
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert b"Test Staff" in client.get("/staff").data


def test_api_errors_use_the_json_envelope(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"]["code"] == "not_found" and body["error"]["message"]


@pytest.mark.browser
def test_a_person_can_sign_in(page, app):
    user = make_user(make_tenant())
    page.goto("/login")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff")
    assert "Signed in" in page.content()
