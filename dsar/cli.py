"""The `dsar` command (SPEC §8): a Flask CLI group over the app factory.

Every expected failure is one line on stderr and a non-zero exit: ``DsarError`` and
click's usage errors are caught here, in one place, never shown as a traceback. The
commands themselves are in ``dsar.commands`` (registered by ``create_app``); each runs as
one unit of work, committed when it returns (``dsar.cli_base.DsarGroup``).
"""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command

from dsar import create_app
from dsar.errors import DsarError
from dsar.schema_check import require_current_schema


#: Commands that neither serve a page nor write a message: their app is built without the web
#: part (pages, API, translations, migrations), so they start fast (issue #15).
WITHOUT_WEB = (("jobs", "list"), ("datamap", "check"))


def needs_web(args: list[str]) -> bool:
    """Whether the command line ``args`` (after ``dsar``) needs the whole web app."""
    if not args or args[0].startswith("-") or "--help" in args:
        return False  # help only
    return tuple(args[:2]) not in WITHOUT_WEB


def _create_app():
    return create_app(web=needs_web(sys.argv[1:]))


#: Commands that work whatever the database's schema: the migrations, data-map files, help.
SCHEMA_EXEMPT = frozenset({"db", "datamap", "routes", "shell"})


class _DsarCommand(FlaskGroup):
    """Flask's CLI group that first checks the database's schema (SPEC §9: one line, "run
    `dsar db upgrade`"), and without the commands other installed packages declare
    (``flask.commands`` entry points): `dsar` lists its own, and Flask-Limiter's ``limiter``
    would import Flask-Limiter on every start (start-up, issue #15)."""

    def _load_plugin_commands(self) -> None:
        return None

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, command, rest = super().resolve_command(ctx, args)
        if name not in SCHEMA_EXEMPT and not ctx.resilient_parsing and "--help" not in rest:
            app = ctx.ensure_object(ScriptInfo).load_app()
            with app.app_context():
                require_current_schema(app)  # SchemaOutdated: one line from main()
        return name, command, rest


cli = _DsarCommand(name="dsar", create_app=_create_app, add_default_commands=False,
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
