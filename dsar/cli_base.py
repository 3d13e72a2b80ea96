"""What every `dsar` command group shares: one unit of work per command, one-line errors.

A command owns its transaction (STYLE rule 13) as an HTTP request does: the command body
and the services it calls never commit; ``DsarGroup`` commits once when the command
returns and rolls everything back when it fails. A ``DsarError`` becomes one click error
line (``dsar.cli.main`` prints it), never a traceback.

Kept apart from ``dsar.cli`` so the areas' command groups (``jobs.cli``, ``reports.cli``)
import it without importing the ``dsar`` command that registers them (no import cycle).
"""
from __future__ import annotations

import click
from flask import current_app

from dsar.errors import DsarError
from dsar.extensions import db


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
            db.session.commit()
        return result


def _rollback() -> None:
    if current_app:
        db.session.rollback()
