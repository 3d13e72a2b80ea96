"""The NUL character is refused everywhere with a 400 naming the field, never a 500."""
import pytest

from tests.factories import make_tenant


@pytest.mark.parametrize("method, path, kwargs, field", [
    ("get", "/api/v1/requests?status=open%00", {}, "status"),
    ("post", "/api/v1/tenants/acme/requests", {"json": {"type": "access", "email": "a\u0000@example.com"}}, "email"),
    ("post", "/api/v1/tenants/acme/requests", {"json": {"type": "access", "agent": {"name": ["x\u0000"]}}},
     "agent.name.0"),
    ("post", "/t/acme/requests", {"data": {"email": "a@example.com", "name": "Nul\x00Name"}}, "name"),
])
def test_nul_is_refused_naming_the_field(client, method, path, kwargs, field):
    make_tenant("acme")
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.get_json()["error"] == {
            "code": "invalid_character", "details": {"field": field},
            "message": f"{field} contains the NUL character, which is not allowed"}
    else:
        assert b"NUL character" in response.data
