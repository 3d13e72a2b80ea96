"""The commands of the `dsar` group (SPEC §8), registered on every app by ``create_app``.

Kept apart from ``dsar.cli`` (the console entry point, which builds the app): the app factory
imports this module and ``dsar.cli`` imports the app factory, so neither imports the other
back (no import cycle). Each command runs as one unit of work (``dsar.cli_base.DsarGroup``);
what a command needs beyond click is imported inside it, so ``dsar --help`` and
``dsar jobs list`` start without loading the services (start-up, issue #15).
"""
from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from dsar.cli_base import DsarGroup, LazyCommand
from dsar.errors import DsarError


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
    from dsar.domain.tenant_settings import check_country_region  # start-up: imported when used
    from dsar.services.tenants import TenantSpec, create_tenant, validate  # start-up

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
    from dsar.services.tenants import configuration_warnings  # start-up: imported when used

    return configuration_warnings(tenant)


@tenants_cli.command("list")
@with_appcontext
def tenants_list():
    """List tenants."""
    from sqlalchemy import select

    from dsar.extensions import db  # start-up: imported when used
    from dsar.models import Tenant  # start-up: imported when used

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
    from dsar.retention.overrides import set_retention_override  # start-up: imported when used
    from dsar.services.tenants import get_tenant  # start-up: imported when used

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
    """Place (or lift) a retention hold (a legal hold on rows): retention leaves those rows, and rows
    linked to them, alone."""
    from dsar.retention.overrides import add_retention_hold, remove_retention_hold  # start-up: imported when used
    from dsar.services.tenants import get_tenant  # start-up: imported when used

    tenant = get_tenant(slug)
    if remove:
        remove_retention_hold(tenant, table, column, value)
    else:
        add_retention_hold(tenant, table, column, value, reason or "")
    click.echo(f"Retention hold on {table} where {column} = {value} {'lifted' if remove else 'placed'}.")


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
    from dsar.services.staff_accounts import create_user  # start-up: imported when used
    from dsar.services.tenants import get_tenant  # start-up: imported when used

    user = create_user(email, name, password, get_tenant(slug), role)
    click.echo(f"User {user.email} is {role} of {slug}.")


@users_cli.command("reset-two-factor")
@click.argument("email")
@with_appcontext
def users_reset_two_factor(email):
    """Forget EMAIL's authenticator and recovery codes (lost phone); they enrol again at next sign-in.

    The platform operator's power only: no tenant's admin can do this (SPEC §2)."""
    from dsar.services.staff_accounts import operator_reset_two_factor  # start-up: imported when used

    user = operator_reset_two_factor(email)
    click.echo(f"{user.email}: two-factor sign-in reset, every session ended; they set it up again at next sign-in.")


@users_cli.command("unlock")
@click.argument("email")
@with_appcontext
def users_unlock(email):
    """Lift EMAIL's lockout after too many failed sign-ins."""
    from dsar.services.staff_accounts import operator_unlock  # start-up: imported when used

    user = operator_unlock(email)
    click.echo(f"{user.email} can sign in again.")


@tokens_cli.command("create")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--name", required=True, help="What the token is for, e.g. 'crm-sync'.")
@with_appcontext
def tokens_create(slug, name):
    """Create an API token; it is printed once and stored only as a hash."""
    from dsar.services.api_tokens import create_token  # start-up: imported when used
    from dsar.services.tenants import get_tenant  # start-up: imported when used

    issued = create_token(get_tenant(slug), name)
    click.echo(issued.secret)
    click.echo(f"Token {issued.token.id} ({name}) for {slug}: shown once, keep it safe.", err=True)


@tokens_cli.command("list")
@click.option("--tenant", "slug", required=True)
@with_appcontext
def tokens_list(slug):
    """List a tenant's tokens (never their secrets)."""
    from dsar.extensions import db  # start-up: imported when used
    from dsar.models import ApiToken, for_tenant  # start-up: imported when used
    from dsar.services.tenants import get_tenant  # start-up: imported when used

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
    from dsar.services.api_tokens import revoke_token  # start-up: imported when used
    from dsar.services.tenants import get_tenant  # start-up: imported when used

    revoke_token(get_tenant(slug), token_id)
    click.echo(f"Token {token_id} revoked.")


@audit_cli.command("verify")
@with_appcontext
def audit_verify():
    """Check every tenant's hash chain; report the first broken link."""
    from dsar.services.audit import verify_chain  # start-up: imported when used

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
    from dsar.demo import create_demo  # start-up: imported when used
    from dsar.extensions import db  # start-up: imported when used

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

    from dsar.access_log import RedactingRequestHandler  # start-up: imported when used

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False,
               request_handler=RedactingRequestHandler)


def _start_embedded_scheduler(app: Flask) -> None:
    if app.config["DSAR_SCHEDULER"]:
        from dsar.jobs.scheduler import start_background_scheduler  # start-up: imported when used

        start_background_scheduler(app)


#: The areas' commands, imported when used: (name, "module:attribute", the line `dsar --help` shows).
AREA_COMMANDS = (
    ("datamap", "dsar.datamap.cli:datamap_cli", "Validate and explain tenants' data maps."),
    ("jobs", "dsar.jobs.cli:jobs_cli", "List and run the scheduled jobs."),
    ("worker", "dsar.jobs.cli:worker_command", "Run the scheduled jobs in the foreground (stops cleanly on SIGTERM)."),
    ("report", "dsar.reports.cli:report_cli", "Figures about requests (CCPA §7101–§7102)."),
)


class _Migrations(LazyCommand):
    """``dsar db`` on an app built without migrations: binds them when the command runs."""

    def real(self) -> click.Command:
        if current_app:  # none when only its help is shown
            from dsar.extensions import init_migrations  # start-up: Alembic only when `dsar db` runs

            init_migrations(current_app)
        return super().real()


def dsar_commands(*, web: bool = True) -> list[click.Command]:
    """Every `dsar` command (``web=False``: with ``dsar db``, which binds migrations when it runs;
    the web app's Flask-Migrate adds its own). ``dsar --help`` lists these without an app."""
    commands = [tenants_cli, users_cli, tokens_cli, audit_cli, demo_command, run_command]
    commands += [LazyCommand(name, target, help_text) for name, target, help_text in AREA_COMMANDS]
    if not web:
        commands.append(_Migrations("db", "flask_migrate.cli:db", "Perform database migrations."))
    return commands


def register_commands(app: Flask, *, web: bool = True) -> None:
    """Every `dsar` command on ``app``."""
    for command in dsar_commands(web=web):
        app.cli.add_command(command)
