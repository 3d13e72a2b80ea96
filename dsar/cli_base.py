"""What every `dsar` command group shares: one unit of work per command, one-line errors.

A command owns its transaction (STYLE rule 13) as an HTTP request does: the command body
and the services it calls never commit; ``DsarGroup`` commits once when the command
returns and rolls everything back when it fails. A ``DsarError`` becomes one click error
line (``dsar.cli.main`` prints it), never a traceback.

Kept apart from ``dsar.cli`` so the areas' command groups (``jobs.cli``, ``reports.cli``)
import it without importing the ``dsar`` command that registers them (no import cycle).
``LazyCommand`` lets ``dsar --help`` list a command without importing its module.
"""
from __future__ import annotations

import importlib

import click
from flask import current_app

from dsar.errors import DsarError


class DsarGroup(click.Group):
    """A command group whose commands each run as one unit of work."""

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
        except DsarError as exc:
            _rollback()
            raise click.ClickException(exc.message) from None
        except BaseException:
            _rollback()
            raise
        if current_app:
            from dsar.extensions import db  # start-up: `dsar jobs --help` never loads SQLAlchemy

            db.session.commit()
        return result


def _rollback() -> None:
    if current_app:
        from dsar.extensions import db  # start-up: `dsar jobs --help` never loads SQLAlchemy

        db.session.rollback()


class LazyCommand(click.Command):
    """A command known by its name and one line of help; its module (``target``,
    ``"module:attribute"``) is imported only when the command runs or shows its own help,
    so each command loads what it uses and nothing else (start-up, issue #15)."""

    def __init__(self, name: str, target: str, help: str):
        super().__init__(name, help=help, short_help=help)
        self.target = target

    def real(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # The context belongs to the real command: click then parses and invokes with it.
        return self.real().make_context(info_name, args, parent=parent, **extra)
