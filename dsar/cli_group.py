"""The `dsar` command group: Flask's CLI group over the app factory (``dsar.cli`` runs it)."""
from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command

from dsar.cli_args import WITHOUT_APP, help_only, needs_web

#: Where the `dsar` group keeps its command line, for the app factory and the command lookup.
ARGS = "dsar.args"


def _args(ctx: click.Context | None = None) -> list[str]:
    """The command line after ``dsar``, as the group was given it (``sys.argv`` when run alone)."""
    ctx = ctx or click.get_current_context(silent=True)
    return ctx.meta.get(ARGS, sys.argv[1:]) if ctx else sys.argv[1:]


def _create_app():
    from dsar import create_app  # start-up: `dsar --help` and `dsar datamap` build no app

    return create_app(web=needs_web(_args()))


#: Commands that work whatever the database's schema: the migrations, data-map files, help.
SCHEMA_EXEMPT = frozenset({"db", "datamap", "routes", "shell"})


class _DsarCommand(FlaskGroup):
    """Flask's CLI group that first checks the database's schema (SPEC §9: one line, "run
    `dsar db upgrade`"), and without the commands other installed packages declare
    (``flask.commands`` entry points): `dsar` lists its own, and Flask-Limiter's ``limiter``
    would import Flask-Limiter on every start (start-up, issue #15).

    Help (``dsar --help``, ``dsar jobs --help``) and the commands that use no app
    (``WITHOUT_APP``) are found in ``dsar.commands.dsar_commands()`` without building an app:
    no configuration read, no database engine, nothing imported that they do not show."""

    def _load_plugin_commands(self) -> None:
        return None

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[ARGS] = list(args)
        return super().parse_args(ctx, args)

    def _without_app(self, ctx: click.Context, name: str | None = None) -> dict[str, click.Command] | None:
        """The commands by name when ``name`` (or, without one, every command) needs no app; else None."""
        if not (help_only(_args(ctx)) or name in WITHOUT_APP):
            return None
        from dsar.commands import dsar_commands  # start-up: imported when used

        return {command.name: command for command in dsar_commands(web=False)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        commands = self._without_app(ctx)
        if commands is None:
            return super().list_commands(ctx)
        return sorted(set(self.commands) | set(commands))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        commands = self._without_app(ctx, name)
        if commands is None or name in self.commands:
            return super().get_command(ctx, name)
        return commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, command, rest = super().resolve_command(ctx, args)
        if name not in SCHEMA_EXEMPT and not ctx.resilient_parsing and "--help" not in rest:
            from dsar.schema_check import require_current_schema  # start-up: imported when used

            app = ctx.ensure_object(ScriptInfo).load_app()
            with app.app_context():
                require_current_schema(app)  # SchemaOutdated: one line from main()
        return name, command, rest


cli = _DsarCommand(name="dsar", create_app=_create_app, add_default_commands=False,
                 add_version_option=False, load_dotenv=False,
                 help="dsar: data-subject rights requests and data retention.")
cli.add_command(shell_command)
cli.add_command(routes_command)
