"""The jobs API: list and run, bad input, and one tenant never seeing another's runs."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.models import JobRun
from tests.api.conftest import headers_for
from tests.factories import make_tenant


def test_running_a_job_records_a_run_for_the_tokens_tenant(client, tenant, auth):
    response = client.post("/api/v1/jobs/own-retention/run", json={"dry_run": True}, headers=auth)

    assert response.status_code == 201, response.json
    run = response.json
    assert (run["job"], run["status"], run["dry_run"], run["trigger"]) == ("own-retention", "succeeded", True, "api")
    assert "requests: requester IP removed after 30 days" in run["stats"]
    stored = db.session.execute(select(JobRun)).scalar_one()
    assert (stored.id, stored.tenant_id) == (run["id"], tenant.id)


def test_a_run_without_a_body_is_a_real_run(client, tenant, auth):
    response = client.post("/api/v1/jobs/retention/run", headers=auth)

    assert response.status_code == 201, response.json
    assert response.json["dry_run"] is False
    assert response.json["stats"] == {"skipped: the tenant has no data map": 1}


def test_the_list_shows_every_job_and_the_tenants_runs(client, tenant, auth):
    client.post("/api/v1/jobs/own-retention/run", json={}, headers=auth)

    response = client.get("/api/v1/jobs", headers=auth)

    assert response.status_code == 200
    jobs = {job["name"]: job for job in response.json["jobs"]}
    assert {"retention", "anonymize-ips", "own-retention"} <= set(jobs)
    assert jobs["retention"]["schedule"] == {"trigger": "cron", "minute": 0, "hour": 2}
    assert jobs["own-retention"]["last_run"]["status"] == "succeeded"
    assert jobs["retention"]["last_run"] is None
    assert [run["job"] for run in response.json["runs"]] == ["own-retention"]


def test_another_tenants_runs_are_never_shown(client, tenant, auth, token_for):
    other = make_tenant()
    other_auth = headers_for(token_for(other))
    client.post("/api/v1/jobs/own-retention/run", json={}, headers=other_auth)
    client.post("/api/v1/jobs/retention/run", json={}, headers=other_auth)

    mine = client.get("/api/v1/jobs", headers=auth).json
    theirs = client.get("/api/v1/jobs", headers=other_auth).json

    assert mine["runs"] == [] and all(job["last_run"] is None for job in mine["jobs"])
    assert len(theirs["runs"]) == 2
    assert {run.tenant_id for run in db.session.execute(select(JobRun)).scalars()} == {other.id}


@pytest.mark.parametrize("body, field", [
    ({"dry_run": "perhaps"}, "dry_run"),
    ({"dry_run": True, "tenant": "someone-else"}, "tenant"),
])
def test_a_bad_body_is_422_and_runs_nothing(client, auth, body, field):
    response = client.post("/api/v1/jobs/retention/run", json=body, headers=auth)

    assert response.status_code == 422
    assert field in response.json["error"]["details"]["json"]
    assert db.session.execute(select(JobRun)).first() is None


def test_an_unknown_job_is_404(client, auth):
    response = client.post("/api/v1/jobs/make-coffee/run", json={}, headers=auth)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert "make-coffee" in response.json["error"]["message"]


def test_jobs_need_a_token(client):
    assert client.get("/api/v1/jobs").status_code == 401
    assert client.post("/api/v1/jobs/retention/run", json={}).status_code == 401


def test_the_runs_of_one_job(client, auth):
    client.post("/api/v1/jobs/own-retention/run", json={}, headers=auth)
    client.post("/api/v1/jobs/retention/run", json={}, headers=auth)

    response = client.get("/api/v1/jobs?job=retention&limit=5", headers=auth)

    assert [run["job"] for run in response.json["runs"]] == ["retention"]


@pytest.mark.parametrize("query", ["job=Retention!", "job=" + "x" * 41, "limit=0", "limit=many"])
def test_a_bad_query_is_422(client, auth, query):
    assert client.get(f"/api/v1/jobs?{query}", headers=auth).status_code == 422


def test_a_nul_byte_in_the_query_is_refused_not_a_crash(client, auth):
    assert client.get("/api/v1/jobs?job=retention%00", headers=auth).status_code in (400, 422)
