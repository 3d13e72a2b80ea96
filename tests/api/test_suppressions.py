"""``GET /api/v1/suppressions/check``: the tenant's own systems ask whether a subject is on
its suppression list (SPEC §6, §8)."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from dsar.extensions import db
from dsar.models import Suppression
from tests.factories import fulfil  # commits: the test owns the unit of work
from tests.api.conftest import headers_for
from tests.downloads.fixtures import make_request
from tests.factories import make_tenant

CHECK = "/api/v1/suppressions/check"


@pytest.fixture
def opted_out(tenant):
    request = make_request(tenant, "opt_out", email="ana@example.com", phone="+44 7700 900123")
    fulfil(request, "test")
    return request


def test_a_listed_subject_is_suppressed_with_reasons_and_since(client, tenant, auth, opted_out):
    fulfil(make_request(tenant, "objection", email="ana@example.com"), "test")
    answer = client.get(CHECK, query_string={"email": "Ana@Example.com"}, headers=auth)
    assert answer.status_code == 200
    body = answer.json
    assert body["suppressed"] is True and body["reasons"] == ["objection", "opt_out"]
    first = db.session.execute(sa.select(sa.func.min(Suppression.created_at))).scalar_one()
    assert datetime.fromisoformat(body["since"]) == first  # when the first of them was listed


def test_by_phone_and_for_someone_not_listed(client, auth, opted_out):
    by_phone = client.get(CHECK, query_string={"phone": "+447700900123"}, headers=auth).json
    assert by_phone["suppressed"] is True and by_phone["reasons"] == ["opt_out"]
    nobody = client.get(CHECK, query_string={"email": "zoe@example.com"}, headers=auth).json
    assert nobody == {"suppressed": False, "reasons": [], "since": None}


def test_another_tenants_list_is_not_seen(client, token_for, opted_out):
    stranger = headers_for(token_for(make_tenant("stranger")))
    answer = client.get(CHECK, query_string={"email": "ana@example.com"}, headers=stranger)
    assert answer.status_code == 200 and answer.json["suppressed"] is False


@pytest.mark.parametrize("query", [{}, {"email": ""}, {"email": "not-an-address"}, {"email": "ana@"}])
def test_a_missing_or_invalid_email_is_422_naming_the_field(client, auth, query):
    answer = client.get(CHECK, query_string=query, headers=auth)
    assert answer.status_code == 422
    assert "email" in answer.json["error"]["details"]["query"]


def test_a_token_is_required(client, opted_out):
    assert client.get(CHECK, query_string={"email": "ana@example.com"}).status_code == 401
