"""The `dsar` command (SPEC §8): a Flask CLI group over the app factory.

Every expected failure is one line on stderr and a non-zero exit: ``DsarError`` and
click's usage errors are caught here, in one place, never shown as a traceback. Each
command runs as one unit of work, committed when it returns (``dsar.cli_base.DsarGroup``).
"""
from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from dsar.cli_base import DsarGroup
from dsar.datamap.cli import datamap_cli
from dsar.errors import DsarError
from dsar.extensions import db
from dsar.jobs.cli import jobs_cli, worker_command
from dsar.reports.cli import report_cli


def _app_group(name: str, help_text: str) -> click.Group:
    return DsarGroup(name, help=help_text)


tenants_cli = _app_group("tenants", "Create and list tenants.")
users_cli = _app_group("users", "Create staff users; reset a lost second factor or lift a lockout.")
tokens_cli = _app_group("tokens", "Create, list and revoke API tokens.")
audit_cli = _app_group("audit", "Check the audit trail.")


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The controller's name, shown on the portal.")
@click.option("--regime", required=True, help="gdpr, uk_gdpr, ccpa, lgpd or policy.")
@click.option("--country", required=True,
              help="ISO 3166 code for public holidays, e.g. FR; in the UK a nation: GB-ENG, GB-SCT, GB-WLS, GB-NIR.")
@click.option("--policy-days", type=click.IntRange(1, 365), help="The tenant's own promise: answer within N days.")
@click.option("--grace-days", type=click.IntRange(0, 90), default=30, show_default=True,
              help="Cancellable wait before an erasure executes.")
@click.option("--datamap", "datamap_path", type=click.Path(dir_okay=False), help="The tenant's data-map YAML.")
@click.option("--dpo-email", help="Where deadline reminders go.")
@with_appcontext
def tenants_create(slug, name, regime, country, policy_days, grace_days, datamap_path, dpo_email):
    """Create tenant SLUG."""
    from dsar.domain.tenant_settings import check_country_region
    from dsar.services.tenants import TenantSpec, create_tenant, validate

    if datamap_path and os.path.exists(datamap_path):  # a path from here; else one in DSAR_DATAMAP_DIR
        datamap_path = os.path.abspath(datamap_path)
    spec = TenantSpec(slug, name, regime, country, policy_days, grace_days, datamap_path, dpo_email)
    validate(spec)
    check_country_region(country)  # GB: which nation's bank holidays (asked of a new tenant)
    tenant = create_tenant(spec)
    click.echo(f"Created tenant {tenant.slug} ({tenant.name}, {tenant.regime}, {tenant.country}).")
    for warning in _tenant_warnings(tenant):
        click.echo(f"Warning: {warning}", err=True)


def _tenant_warnings(tenant) -> list[str]:
    from dsar.services.tenants import configuration_warnings

    return configuration_warnings(tenant)


@tenants_cli.command("list")
@with_appcontext
def tenants_list():
    """List tenants."""
    from sqlalchemy import select

    from dsar.models import Tenant

    rows = db.session.execute(select(Tenant).order_by(Tenant.slug)).scalars().all()
    if not rows:
        click.echo("No tenants yet. Create one with `dsar tenants create` or `dsar demo`.")
    for tenant in rows:
        click.echo(f"{tenant.slug:20} {tenant.regime:8} {tenant.country}  {tenant.name}")


@tenants_cli.command("retention")
@click.argument("slug")
@click.argument("table", metavar="SOURCE.TABLE")
@click.argument("period", required=False)
@click.option("--remove", is_flag=True, help="Drop the override: the data map's period applies again.")
@with_appcontext
def tenants_retention(slug, table, period, remove):
    """Shorten how long SOURCE.TABLE is kept for tenant SLUG, e.g. `6 months`.

    An override may only shorten the data map's period, never lengthen it."""
    from dsar.retention.policy import set_retention_override
    from dsar.services.tenants import get_tenant

    if not remove and not period:
        raise click.UsageError("give a PERIOD such as '6 months', or --remove")
    set_retention_override(get_tenant(slug), table, None if remove else period)
    click.echo(f"{table}: the data map's period applies again." if remove else f"{table}: kept at most {period}.")


@tenants_cli.command("hold")
@click.argument("slug")
@click.argument("table", metavar="SOURCE.TABLE")
@click.option("--column", required=True, help="The column that picks the rows, e.g. id or email.")
@click.option("--value", required=True, help="Rows whose column equals this value are kept.")
@click.option("--reason", help="Why (required to place a hold), e.g. a litigation reference.")
@click.option("--remove", is_flag=True, help="Lift the hold.")
@with_appcontext
def tenants_hold(slug, table, column, value, reason, remove):
    """Place (or lift) a legal hold: retention leaves those rows, and rows linked to them, alone."""
    from dsar.retention.policy import add_legal_hold, remove_legal_hold
    from dsar.services.tenants import get_tenant

    tenant = get_tenant(slug)
    if remove:
        remove_legal_hold(tenant, table, column, value)
    else:
        add_legal_hold(tenant, table, column, value, reason or "")
    click.echo(f"Legal hold on {table} where {column} = {value} {'lifted' if remove else 'placed'}.")


@users_cli.command("create")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--role", required=True, help="admin, dpo, agent or auditor.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 12 characters (asked for when omitted).")
@with_appcontext
def users_create(slug, email, name, role, password):
    """Create a staff user (or give an existing one a role in another tenant)."""
    from dsar.services.staff import create_user
    from dsar.services.tenants import get_tenant

    user = create_user(email, name, password, get_tenant(slug), role)
    click.echo(f"User {user.email} is {role} of {slug}.")


@users_cli.command("reset-two-factor")
@click.argument("email")
@with_appcontext
def users_reset_two_factor(email):
    """Forget EMAIL's authenticator and recovery codes (lost phone); they enrol again at next sign-in.

    The platform operator's power only: no tenant's admin can do this (SPEC §2)."""
    from dsar.services.staff_accounts import operator_reset_two_factor

    user = operator_reset_two_factor(email)
    click.echo(f"{user.email}: two-factor sign-in reset, every session ended; they set it up again at next sign-in.")


@users_cli.command("unlock")
@click.argument("email")
@with_appcontext
def users_unlock(email):
    """Lift EMAIL's lockout after too many failed sign-ins."""
    from dsar.services.staff_accounts import operator_unlock

    user = operator_unlock(email)
    click.echo(f"{user.email} can sign in again.")


@tokens_cli.command("create")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--name", required=True, help="What the token is for, e.g. 'crm-sync'.")
@with_appcontext
def tokens_create(slug, name):
    """Create an API token; it is printed once and stored only as a hash."""
    from dsar.services.staff import create_token
    from dsar.services.tenants import get_tenant

    issued = create_token(get_tenant(slug), name)
    click.echo(issued.secret)
    click.echo(f"Token {issued.token.id} ({name}) for {slug}: shown once, keep it safe.", err=True)


@tokens_cli.command("list")
@click.option("--tenant", "slug", required=True)
@with_appcontext
def tokens_list(slug):
    """List a tenant's tokens (never their secrets)."""
    from dsar.models import ApiToken, for_tenant
    from dsar.services.tenants import get_tenant

    tokens = db.session.execute(for_tenant(ApiToken, get_tenant(slug).id).order_by(ApiToken.id)).scalars().all()
    if not tokens:
        click.echo(f"No tokens for {slug}. Create one with `dsar tokens create --tenant {slug} --name NAME`.")
    for token in tokens:
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.id:5}  {token.prefix}…  {token.name:30} {state}")


@tokens_cli.command("revoke")
@click.option("--tenant", "slug", required=True)
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(slug, token_id):
    """Revoke token TOKEN_ID."""
    from dsar.services.staff import revoke_token
    from dsar.services.tenants import get_tenant

    revoke_token(get_tenant(slug), token_id)
    click.echo(f"Token {token_id} revoked.")


@audit_cli.command("verify")
@with_appcontext
def audit_verify():
    """Check every tenant's hash chain; report the first broken link."""
    from dsar.services.audit import verify_chain

    checks = verify_chain()
    broken = [check for check in checks if not check.intact]
    for check in broken:
        click.echo(f"BROKEN: tenant {check.tenant_id}, event {check.broken_event_id}: {check.problem}", err=True)
    if broken:
        sys.exit(1)
    click.echo(f"Audit trail intact: {sum(check.checked for check in checks)} events verified.")


@click.command("demo", cls=click.Command)
@with_appcontext
def demo_command():
    """Create the demo tenant with realistic sample data (idempotent)."""
    from dsar.demo import create_demo

    try:
        summary = create_demo()
    except DsarError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    for line in summary:
        click.echo(line)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, envvar="PORT")
@with_appcontext
def run_command(host, port):
    """Serve the web app with the scheduler inside (the embedded default)."""
    app = current_app._get_current_object()
    _start_embedded_scheduler(app)
    click.echo(f"dsar serving on http://{host}:{port}/ (Ctrl+C to stop)")
    # Flask's app.run() refuses to run inside its own CLI; werkzeug's server is what it would use.
    from werkzeug.serving import run_simple

    from dsar.access_log import RedactingRequestHandler

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False,
               request_handler=RedactingRequestHandler)


def _start_embedded_scheduler(app: Flask) -> None:
    if app.config["DSAR_SCHEDULER"]:
        from dsar.jobs.scheduler import start_background_scheduler

        start_background_scheduler(app)


def register_commands(app: Flask) -> None:
    for command in (tenants_cli, users_cli, tokens_cli, audit_cli, demo_command, run_command,
                    datamap_cli, jobs_cli, worker_command, report_cli):
        app.cli.add_command(command)


#: Commands that only read the database: their app is built without pages and API (start-up).
DATABASE_ONLY = (("jobs", "list"),)


def _create_app():
    from dsar import create_app

    return create_app(web=tuple(sys.argv[1:3]) not in DATABASE_ONLY)


cli = FlaskGroup(name="dsar", create_app=_create_app, add_default_commands=False,
                 add_version_option=False, load_dotenv=False,
                 help="dsar: data-subject rights requests and data retention.")
cli.add_command(shell_command)
cli.add_command(routes_command)


def main() -> None:
    """Console entry point: one line per error, never a traceback for expected failures."""
    try:
        result = cli.main(prog_name="dsar", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"dsar: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except DsarError as exc:
        click.echo(f"dsar: error: {exc.message}", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
