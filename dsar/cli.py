"""The `dsar` command (SPEC §8): its entry point, and how a command line is read.

Every expected failure is one line on stderr and a non-zero exit: ``DsarError`` and
click's usage errors are caught here, in one place, never shown as a traceback. The group
is a Flask CLI group over the app factory (``dsar.cli_group``); the commands themselves are
in ``dsar.commands`` (registered by ``create_app``), each run as one unit of work, committed
when it returns (``dsar.cli_base.DsarGroup``). ``dsar datamap …`` needs no app: it runs its
own click group without importing Flask (start-up, issue #15).
"""
from __future__ import annotations

import sys

import click

from dsar.cli_args import help_only
from dsar.errors import DsarError


def main() -> None:
    """Console entry point: one line per error, never a traceback for expected failures."""
    try:
        result = _run(sys.argv[1:])
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


def _run(args: list[str]):
    """Run the command line ``args`` (after ``dsar``); its result."""
    if args[:1] == ["datamap"] and not help_only(args):
        from dsar.datamap.cli import datamap_cli  # start-up: a file and its databases, no app, no Flask

        return datamap_cli.main(args=args[1:], prog_name="dsar datamap", standalone_mode=False)
    from dsar.cli_group import cli  # start-up: imported when used

    return cli.main(args=args, prog_name="dsar", standalone_mode=False)
