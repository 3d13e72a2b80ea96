"""schemathesis against /api/v1/openapi.json: generated requests, valid and invalid, never
get a server error, and every answer matches the document (status, content type, schema)."""
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error

from dsar.extensions import db
from dsar.services.staff import create_token
from tests.factories import make_request, make_tenant

schema = schemathesis.pytest.from_fixture("api_schema")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def staff_headers(app):
    tenant = make_tenant("acme", dpo_email="dpo@example.com")
    for status in ("unverified", "verified", "in_progress"):
        make_request(tenant, status=status)
    secret = create_token(tenant, "schemathesis", actor="test").secret
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api_schema(app, staff_headers):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api_honours_its_contract(case, staff_headers):
    response = case.call(headers=staff_headers)
    case.validate_response(response, checks=CHECKS)
    db.session.rollback()
