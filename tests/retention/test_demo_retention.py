"""The demo's promises in one run: what `dsar demo` sets up, one retention run keeps whole."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.jobs.runner import run_job
from dsar.models import Tenant

pytestmark = pytest.mark.calendar  # dates matter: re-run on the hard days (tests/clock.py)

JOBS = ("retention", "anonymize-ips")


@pytest.mark.parametrize("job", JOBS)
def test_one_run_keeps_every_rule_of_the_demo_as_its_dry_run_predicted(cli, app, job):
    assert cli.invoke(args=["demo"]).exit_code == 0
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == "demo")).scalar_one()

    predicted = run_job(job, tenant_id=tenant.id, dry_run=True)
    done = run_job(job, tenant_id=tenant.id)
    again = run_job(job, tenant_id=tenant.id)

    assert (predicted.status, done.status, again.status) == ("succeeded",) * 3, (done.error, again.error)
    assert done.stats == predicted.stats
    assert sum(done.stats.values()) > 0
    assert set(again.stats.values()) == {0}, again.stats
