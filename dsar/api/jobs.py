"""Jobs over the API (SPEC §8): the tenant's job runs, and starting one for the tenant.

A token sees the runs of its own tenant only; a run over every tenant (the nightly
schedule) is recorded once per tenant as well, so the tenant's own record is here. A run
started here runs now, for the token's tenant, and answers with the finished run.
"""
from __future__ import annotations

from flask import g
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from dsar.api.auth import token_required
from dsar.extensions import db
from dsar.jobs.registry import all_jobs, get_job
from dsar.jobs.runner import run_job
from dsar.models import JobRun

blp = Blueprint("jobs", __name__, description="Scheduled jobs: the tenant's runs, and starting one.")
SECURITY = [{"bearer": []}]


class RunOut(Schema):
    id = fields.Integer()
    job = fields.String()
    trigger = fields.String()
    dry_run = fields.Boolean()
    status = fields.String(metadata={"description": "running, succeeded or failed"})
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    stats = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "rows per rule"})
    error = fields.String(allow_none=True)


class JobOut(Schema):
    name = fields.String()
    description = fields.String()
    schedule = fields.Dict()
    last_run = fields.Nested(RunOut, allow_none=True)


class JobsOut(Schema):
    jobs = fields.List(fields.Nested(JobOut))
    runs = fields.List(fields.Nested(RunOut), metadata={"description": "the latest runs first"})


class RunsArgs(Schema):
    job = fields.String(validate=validate.Regexp(r"^[a-z0-9-]{1,40}$", error="not a job name"),
                        metadata={"description": "only the runs of this job"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class RunIn(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "count only, write nothing"})


def _own_runs():
    return select(JobRun).where(JobRun.tenant_id == g.tenant.id)


@blp.get("/jobs")
@token_required
@blp.doc(security=SECURITY)
@blp.arguments(RunsArgs, location="query", as_kwargs=True)
@blp.response(200, JobsOut)
def list_jobs(job: str | None = None, limit: int = 50):
    """Every job with its schedule and the tenant's last run of it, and the tenant's latest runs."""
    runs = _own_runs().order_by(JobRun.id.desc()).limit(limit)
    if job is not None:
        runs = runs.where(JobRun.job == job)
    jobs = [{"name": spec.name, "description": spec.description, "schedule": spec.schedule,
             "last_run": db.session.execute(_own_runs().where(JobRun.job == spec.name)
                                            .order_by(JobRun.id.desc()).limit(1)).scalar()}
            for spec in all_jobs().values()]
    return {"jobs": jobs, "runs": db.session.execute(runs).scalars().all()}


@blp.post("/jobs/<name>/run")
@token_required
@blp.doc(security=SECURITY)
@blp.arguments(RunIn, required=False)
@blp.response(201, RunOut)
def start_run(body, name: str):
    """Run job ``name`` now for the token's tenant (``{"dry_run": true}`` counts only)."""
    get_job(name)
    return run_job(name, tenant_id=g.tenant.id, dry_run=(body or {}).get("dry_run", False), trigger="api")
