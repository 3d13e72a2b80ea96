"""What a `dsar` command loads before it works (issue #15: start-up): behaviour, not timing.

Each command runs as the installed `dsar` does, in its own process; the process reports the
modules it imported and the templates it loaded when it exits. Help and the commands that
serve no page never load the web app (blueprints, API schemas, translations, templates, mail
backends, file stores); ``dsar --help`` builds no app at all; jobs that write messages still
get everything they need.
"""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from dsar.cli_args import command_args, help_only, needs_web
from tests.clock import dsar_command
from tests.factories import make_tenant

#: Modules of the web app and of what only pages, the API and messages use.
WEB = ("flask_babel", "babel", "flask_smorest", "marshmallow", "flask_wtf", "flask_login", "flask_limiter",
       "flask_migrate", "alembic", "sendgrid", "fsspec", "s3fs", "playwright", "dsar.dashboard", "dsar.portal",
       "dsar.api", "dsar.auth", "dsar.downloads", "dsar.web", "dsar.translations", "dsar.mail")
#: What a command that only shows help does not need either: no configuration, no database.
APP = ("dsar.config", "dsar.extensions", "dsar.models", "dsar.keyring", "flask_sqlalchemy", "sqlalchemy",
       "apscheduler", "yaml", "fideslang", "pydantic")

#: Run before `dsar`: at exit, write the imported modules and the templates loaded to $REPORT.
SPY = """\
import atexit, json, os, sys
import jinja2.loaders
_templates = []
_get_source = jinja2.loaders.FileSystemLoader.get_source
def _spy(self, environment, template):
    _templates.append(template)
    return _get_source(self, environment, template)
jinja2.loaders.FileSystemLoader.get_source = _spy
atexit.register(lambda: open(os.environ["REPORT"], "w").write(json.dumps(
    {"modules": sorted(sys.modules), "templates": _templates})))
"""


@pytest.fixture
def run_dsar(app, app_environ, tmp_path):
    """``run_dsar(*args)``: (completed process, modules imported, templates loaded)."""
    report = tmp_path / "report.json"

    def run(*args: str, expect: int = 0):
        argv = dsar_command(*args)
        argv[2] = SPY + argv[2]
        env = {**app_environ, "PATH": os.environ["PATH"], "REPORT": str(report)}
        result = subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert result.returncode == expect, result.stderr
        seen = json.loads(report.read_text())
        return result, set(seen["modules"]), seen["templates"]

    return run


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if name in modules or any(m.startswith(name + ".") for m in modules))


@pytest.mark.parametrize("args", [("--help",), (), ("jobs", "--help"), ("tenants", "--help"),
                                  ("jobs", "run", "--help"), ("report", "--help")])
def test_help_builds_no_app_and_loads_nothing_it_does_not_show(run_dsar, args):
    result, modules, templates = run_dsar(*args, expect=2 if not args else 0)
    assert "Usage: dsar" in result.stdout + result.stderr
    assert _loaded(modules, WEB + APP) == []
    assert templates == []


def test_help_lists_every_command_without_an_app(run_dsar):
    result, _, _ = run_dsar("--help")
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()
              if line.startswith("  ") and not line.startswith("   ")}
    assert {"audit", "datamap", "db", "demo", "jobs", "report", "routes", "run", "shell", "tenants", "tokens",
            "users", "worker"} <= listed


def test_jobs_list_reads_the_database_without_the_web_app(run_dsar):
    result, modules, templates = run_dsar("jobs", "list")
    assert "retention" in result.stdout and "never" in result.stdout
    assert _loaded(modules, WEB) == []
    assert _loaded(modules, ("apscheduler.schedulers", "apscheduler.executors", "dsar.jobs.runner",
                             "dsar.services")) == []
    assert templates == []


def test_datamap_check_builds_no_app(run_dsar, tmp_path):
    from dsar.demo.sample_app import sample_datamap_yaml

    datamap = tmp_path / "demo.yml"
    datamap.write_text(sample_datamap_yaml(f"sqlite:///{tmp_path}/app.db", tenant="demo"))
    result, modules, templates = run_dsar("datamap", "check", "--offline", str(datamap))
    assert "demo" in result.stdout
    assert _loaded(modules, tuple(name for name in WEB if name != "marshmallow")) == []  # the data map's schema
    assert _loaded(modules, ("dsar.config", "dsar.extensions", "dsar.models", "flask_sqlalchemy", "fideslang",
                             "pydantic", "flask")) == []
    assert templates == []


def test_a_bad_datamap_command_line_is_one_line_without_flask(run_dsar, tmp_path):
    result, modules, _ = run_dsar("datamap", "check", "--offline", str(tmp_path / "nope.yml"), expect=1)
    assert result.stderr.strip().splitlines() == [f"dsar: error: {tmp_path / 'nope.yml'}: no such file"]
    result, modules, _ = run_dsar("datamap", "bogus", expect=2)
    assert result.stderr.strip().splitlines()[-1] == "dsar: error: No such command 'bogus'."
    assert "Traceback" not in result.stderr and _loaded(modules, ("flask",)) == []


@pytest.mark.parametrize("args", [("retention", "--tenant", "acme"), ("--tenant", "acme", "anonymize-ips"),
                                  ("own-retention", "--dry-run")])
def test_jobs_that_write_no_message_run_without_the_web_app(run_dsar, args):
    make_tenant("acme")
    result, modules, templates = run_dsar("jobs", "run", *args)
    assert ": succeeded" in result.stdout
    assert _loaded(modules, ("flask_smorest", "flask_wtf", "flask_login", "flask_limiter", "flask_migrate",
                             "dsar.dashboard", "dsar.portal", "dsar.api", "dsar.auth", "dsar.downloads",
                             "dsar.web")) == []
    # Nor what this tenant's work does not use: no file stores, no working days to count.
    assert _loaded(modules, ("fsspec", "s3fs", "holidays")) == []
    assert templates == []


def test_a_job_that_writes_messages_still_gets_the_web_app(run_dsar):
    make_tenant("acme")
    result, modules, _ = run_dsar("jobs", "run", "expire-unverified", "--tenant", "acme")
    assert "expire-unverified for acme: succeeded" in result.stdout
    assert {"flask_babel", "dsar.translations"} <= modules


def test_an_unknown_tenant_in_a_quiet_job_is_one_line(run_dsar):
    result, _, _ = run_dsar("jobs", "run", "retention", "--tenant", "nope", expect=1)
    assert result.stderr.strip().splitlines() == ["dsar: error: no tenant 'nope'"]
    assert result.stdout == ""


@pytest.mark.parametrize("args, web, only_help", [
    ([], False, True),
    (["--help"], False, True),
    (["jobs", "--help"], False, True),
    (["jobs", "list"], False, False),
    (["--debug", "jobs", "list"], False, False),
    (["--app", "wsgi", "tenants", "list"], True, False),
    (["-e=.env", "jobs", "list"], False, False),
    (["--debug"], False, True),
    (["jobs", "run", "retention"], False, False),
    (["jobs", "run", "--tenant", "acme", "--dry-run", "anonymize-ips"], False, False),
    (["jobs", "run", "--tenant", "retention", "sla-reminders"], True, False),  # the slug is not the job
    (["jobs", "run", "sla-reminders"], True, False),
    (["jobs", "run", "nope"], True, False),
    (["jobs", "run"], True, False),
    (["tenants", "list"], True, False),
])
def test_which_command_lines_need_the_web_app(args, web, only_help):
    assert (needs_web(args), help_only(args)) == (web, only_help)


def test_the_groups_own_options_are_not_the_command():
    assert command_args(["--debug", "-A", "wsgi", "--env-file", ".env", "jobs", "list"]) == ["jobs", "list"]
    assert command_args(["--app=wsgi", "jobs"]) == ["jobs"]
    assert command_args(["--app"]) == []
