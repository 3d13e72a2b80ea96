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

from dsar.errors import DsarError

#: Commands that neither serve a page nor write a message: their app is built without the web
#: part (pages, API, translations, migrations), so they start fast (issue #15). ``jobs run``
#: is among them for the jobs that write no message (``registry.Declared.sends_messages``).
WITHOUT_WEB = (("jobs", "list"), ("jobs", "run"))
#: Commands that use no app at all (they read a file): found and run without building one.
WITHOUT_APP = frozenset({"datamap"})
#: Where the `dsar` group keeps its command line, for the app factory and the command lookup.
ARGS = "dsar.args"
#: The group's own options that come before the command, and whether each takes a value.
_GLOBAL_OPTIONS = {"-e": True, "--env-file": True, "-A": True, "--app": True, "--debug": False, "--no-debug": False}


def command_args(args: list[str]) -> list[str]:
    """``args`` (after ``dsar``) without the group's own leading options (``--debug``, ``--app X``)."""
    rest = list(args)
    while rest and rest[0].split("=", 1)[0] in _GLOBAL_OPTIONS:
        option = rest.pop(0)
        if _GLOBAL_OPTIONS[option.split("=", 1)[0]] and "=" not in option and rest:
            rest.pop(0)
    return rest


def help_only(args: list[str]) -> bool:
    """Whether the command line ``args`` (after ``dsar``) only asks for help: then no app is built."""
    return not command_args(args) or "--help" in args


def needs_web(args: list[str]) -> bool:
    """Whether the command line ``args`` (after ``dsar``) needs the whole web app."""
    args = command_args(args)
    if help_only(args):
        return False
    if tuple(args[:2]) == ("jobs", "run"):
        return _job_sends_messages(_job_name(args[2:]))
    return tuple(args[:2]) not in WITHOUT_WEB


def _job_name(args: list[str]) -> str | None:
    """NAME in ``dsar jobs run [--tenant SLUG] [--dry-run] NAME``."""
    rest = iter(args)
    for arg in rest:
        if arg == "--tenant":
            next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _job_sends_messages(name: str | None) -> bool:
    from dsar.jobs.registry import DECLARED  # start-up: only `dsar jobs run` reads the table

    declared = DECLARED.get(name or "")
    return declared is None or declared.sends_messages  # an unknown name: the web app, as before


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
