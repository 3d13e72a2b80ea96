"""Input that used to crash (issue 13 finding 6): a lone surrogate in any text field, JSON
nested 100,000 deep and numbers beyond any range in query strings are 4xx answers naming
what is wrong; bad text already stored does not turn a page into a 500."""
import pytest

from dsar.extensions import db
from dsar.services import lifecycle
from tests.dashboard.factories import sign_in
from tests.factories import make_tenant, make_user

SURROGATE = "\ud800"


@pytest.mark.parametrize("body, field", [
    ({"type": "access", "email": "a@example.com", "name": f"Sam {SURROGATE}"}, "name"),
    ({"type": "rectification", "email": "a@example.com", "details": SURROGATE}, "details"),
    ({"type": "access", "email": f"a{SURROGATE}@example.com"}, "email"),
    ({"type": "access", "email": "a@example.com", "agent": {"name": [SURROGATE]}}, "agent.name.0"),
    ({"type": "access", "email": "a@example.com", SURROGATE: "x"}, SURROGATE),
])
def test_a_lone_surrogate_in_the_api_is_a_400_naming_the_field(client, body, field):
    make_tenant("acme")
    response = client.post("/api/v1/tenants/acme/requests", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_character" and error["details"] == {"field": field}
    assert "lone surrogate" in error["message"]


def test_a_lone_surrogate_on_the_verify_endpoint_is_a_400(client):
    make_tenant("acme")
    response = client.post("/api/v1/requests/DSAR-X/verify", json={"code": SURROGATE})
    assert response.status_code == 400 and response.get_json()["error"]["details"] == {"field": "code"}


def test_undecodable_bytes_in_a_portal_form_or_query_string_are_not_a_500(client):
    make_tenant("acme")
    form = client.post("/t/acme/requests", data=b"type=access&email=a%40example.com&name=%ED%A0%80",
                       content_type="application/x-www-form-urlencoded")
    assert form.status_code < 500
    query = client.get("/t/acme?lang=%ED%A0%80")
    assert query.status_code < 500


def test_json_nested_100000_deep_is_a_400(client):
    make_tenant("acme")
    body = '{"type": "access", "email": "a@example.com", "details": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post("/api/v1/tenants/acme/requests", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_brackets_inside_strings_do_not_count_as_depth(client):
    make_tenant("acme")
    response = client.post("/api/v1/tenants/acme/requests",
                           json={"type": "rectification", "email": "a@example.com", "details": "[" * 5000})
    assert response.status_code == 202


@pytest.fixture
def staff(client):
    tenant = make_tenant("acme")
    sign_in(client, make_user(tenant, "admin"), tenant)
    return tenant


@pytest.mark.parametrize("url, field", [
    ("/dashboard/?page=99999999999999999999", "page"),
    ("/dashboard/?assignee=99999999999999999999", "assignee"),
    ("/dashboard/audit?page=99999999999999999999", "page"),
    ("/dashboard/reports/register.csv?year=99999999999999999999", "year"),
    ("/dashboard/reports/register.csv?year=10000", "year"),
])
def test_huge_numbers_in_dashboard_query_strings_are_a_422_naming_the_parameter(client, staff, url, field):
    response = client.get(url)
    assert response.status_code == 422
    assert f"{field} must be a whole number from" in response.get_data(as_text=True)


@pytest.mark.parametrize("query, field", [
    ("page=99999999999999999999", "page"), ("assignee_id=99999999999999999999", "assignee_id"),
    ("per_page=-99999999999999999999", "per_page"),
])
def test_huge_numbers_in_api_query_strings_are_a_422_naming_the_parameter(client, query, field):
    from dsar.services.api_tokens import create_token

    issued = create_token(make_tenant("acme"), "test")
    db.session.commit()
    response = client.get(f"/api/v1/requests?{query}", headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["field"] == field


def test_bad_text_already_stored_does_not_break_the_request_page(client, staff):
    request = lifecycle.create_request(staff, type="rectification", subject=lifecycle.Subject(
        email="sam@example.com", name="Sam", details=f"change {SURROGATE} this"))
    db.session.commit()
    response = client.get(f"/dashboard/requests/{request.reference}")
    assert response.status_code == 200
    assert "change ? this" in response.get_data(as_text=True)


def test_digits_in_free_text_parameters_are_not_numbers(client, staff):
    # A phone number or customer number typed into the search is text, however long.
    assert client.get("/dashboard/?q=4477009001234567890").status_code == 200
