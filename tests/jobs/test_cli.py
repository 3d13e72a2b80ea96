"""`dsar jobs list`, `dsar jobs run`: good runs, and bad arguments as one line with exit 1."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dsar.extensions import db
from dsar.models import JobRun
from tests.clock import dsar_command
from tests.factories import make_tenant
from tests.jobs.conftest import attach_datamap


def test_jobs_list_shows_schedules_next_and_last_runs(cli, app):
    tenant = make_tenant("acme")
    cli.invoke(args=["jobs", "run", "own-retention", "--tenant", "acme"])

    result = cli.invoke(args=["jobs", "list"])

    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert {"retention", "anonymize-ips", "own-retention"} <= set(lines)
    assert "daily 02:00" in lines["retention"] and lines["retention"].rstrip().endswith("never")
    assert "daily 03:00" in lines["own-retention"] and "succeeded, cli acme" in lines["own-retention"]
    assert tenant.slug == "acme"


def test_jobs_run_prints_rows_per_rule(cli, app, acme):
    result = cli.invoke(args=["jobs", "run", "retention", "--tenant", "acme"])

    assert result.exit_code == 0, result.output
    assert "app.messages: delete after 12 months" in result.output
    assert "retention for acme: succeeded, run " in result.output
    run = db.session.execute(select(JobRun)).scalar_one()
    assert (run.tenant_id, run.trigger, run.dry_run) == (acme.id, "cli", False)


def test_jobs_run_dry_run_says_so_and_writes_nothing(cli, app, acme, sample):
    from tests.retention.conftest import rows

    before = rows(sample.url, "messages", "body")
    result = cli.invoke(args=["jobs", "run", "retention", "--tenant", "acme", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "dry run: counted only, nothing written" in result.output
    assert rows(sample.url, "messages", "body") == before
    assert db.session.execute(select(JobRun.dry_run)).scalar_one() is True


def test_a_failed_run_exits_non_zero_with_its_error(cli, app):
    tenant = make_tenant("broken")
    attach_datamap(app, tenant, "tenant: broken\nsources: []\n")

    result = cli.invoke(args=["jobs", "run", "retention", "--tenant", "broken"])

    assert result.exit_code == 1
    assert "retention for broken: failed" in result.output
    assert "broken.yml:2: sources: must not be empty" in result.output


@pytest.mark.parametrize("args, message", [
    (["jobs", "run", "make-coffee"], "no job named 'make-coffee'; known jobs: "),
    (["jobs", "run", "retention", "--tenant", "nobody"], "no tenant 'nobody'"),
    (["jobs", "run"], "Missing argument 'NAME'"),
    (["jobs", "run", "retention", "--dry-run=maybe"], "--dry-run"),
    (["jobs", "run", "retention", "--tenant"], "--tenant"),
])
def test_bad_arguments_are_one_line_and_exit_1_or_2(cli, app, args, message):
    result = cli.invoke(args=args)

    assert result.exit_code in (1, 2)
    assert message in result.output
    assert db.session.execute(select(JobRun)).first() is None


def test_the_installed_command_prints_one_line_for_an_unknown_job(app_environ, tmp_path):
    import os
    import subprocess

    env = {**app_environ, "PATH": os.environ["PATH"]}
    result = subprocess.run(dsar_command("jobs", "run", "nope"),
                            env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "dsar: error: no job named 'nope'; known jobs: " + ", ".join(sorted(_job_names()))]
    assert result.stdout == ""


def _job_names():
    from dsar.jobs.registry import all_jobs

    return all_jobs()


def test_a_run_over_every_tenant_prints_each_tenants_rows(cli, app, acme):
    make_tenant("bare")

    result = cli.invoke(args=["jobs", "run", "retention", "--dry-run"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "acme: succeeded"
    assert any("app.messages: delete after 12 months" in line for line in lines[1:])
    assert "bare: succeeded" in lines
    assert lines[-1].startswith("retention: succeeded (dry run: counted only, nothing written), run ")
