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
from dsar.services.api_tokens import create_token
from dsar.models import Tenant
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


# --- stateful: follow the reference a POST returns ------------------------------------------

REQUESTS = "/api/v1/requests"
ONE = "/api/v1/requests/{reference}"
ACTION = "/api/v1/requests/{reference}/{action}"
INTAKE = "/api/v1/tenants/{slug}/requests"
VERIFY = "/api/v1/requests/{reference}/verify"
ACTIONS = ("verify", "approve", "deny", "pause", "resume", "extend", "fulfil", "cancel")


def _ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _with_links(document: dict) -> dict:
    """The document with OpenAPI links from what creates a request to what acts on it, so the
    state machine reaches the request actions with references that exist."""
    reference = "$response.body#/reference"
    actions = {f"{action}-request": {"operationRef": _ref(ACTION, "post"),
                                     "parameters": {"reference": reference, "action": action}}
               for action in ACTIONS}
    read = {"get-request": {"operationRef": _ref(ONE, "get"), "parameters": {"reference": reference}}}
    verify = {"verify-with-code": {"operationRef": _ref(VERIFY, "post"), "parameters": {"reference": reference}}}
    for path, method, status, links in ((REQUESTS, "post", "201", {**read, **actions}), (ONE, "get", "200", actions),
                                        (INTAKE, "post", "202", {**read, **verify, **actions}),
                                        (ACTION, "post", "200", {**read, **actions})):
        document["paths"][path][method]["responses"][status]["links"] = links
    # Intake into the tenant that exists (a fixed path, so schemathesis starts workflows there).
    intake = document["paths"].pop(INTAKE)
    for holder in (intake, intake["post"]):
        holder["parameters"] = [p for p in holder.get("parameters", []) if p["name"] != "slug"]
    document["paths"][INTAKE.replace("{slug}", "acme")] = intake
    # schemathesis reads ``customer_id`` as a key to a resource nothing produces and would not
    # start workflows from these POSTs; the stateless test above still sends it.
    schemas = document["components"]["schemas"]
    for name in ("IntakeIn", "SubjectIn"):
        schemas[name]["properties"].pop("customer_id", None)
        # Addresses the service accepts, so that workflows start (other strings are the
        # stateless test's business).
        schemas[name]["properties"]["email"] = {"type": "string", "enum": ["sam@example.com", "ada@example.org"]}
    schemas["ManualEntryIn"]["properties"]["received_at"] = {"type": "string", "enum": ["2026-01-05", "2025-11-20"]}
    return document


def test_stateful_workflows_reach_the_request_actions_without_server_errors(app, staff_headers):
    document = _with_links(app.test_client().get("/api/v1/openapi.json").get_json())
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = app
    called: list[tuple[str, str, int]] = []

    class Workflow(loaded.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": staff_headers}

        def after_call(self, response, case):
            called.append((case.method, case.operation.path, response.status_code))
            db.session.rollback()

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=[not_a_server_error], transport_kwargs=kwargs)

    Workflow.run(settings=settings(max_examples=40, stateful_step_count=8, deadline=None, derandomize=True,
                                   suppress_health_check=list(HealthCheck)))
    assert not [call for call in called if call[2] >= 500]
    acted = {status for method, path, status in called if path == ACTION}
    assert acted & {200, 409}, f"no request action was reached with a real reference: {sorted(set(called))[:20]}"


def test_fulfilling_for_a_tenant_without_a_data_map_is_a_409_not_a_500(app, client, staff_headers):
    """Found by the stateful run: the tenant's missing data map is the state, not a crash."""
    reference = make_request(db.session.execute(db.select(Tenant)).scalar_one(), status="in_progress").reference
    response = client.post(f"/api/v1/requests/{reference}/fulfil", json={}, headers=staff_headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "configuration_error"
    assert "data map" in response.get_json()["error"]["message"]
