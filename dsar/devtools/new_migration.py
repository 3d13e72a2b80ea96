"""Write a new Alembic revision for what the models changed (`make migration MESSAGE="..."`).

Revisions that reached main are never rewritten (SPEC §9: upgrades keep data): this upgrades a
scratch database to the current head, compares it with the models and writes the difference
as the next numbered revision. Review the file before committing it.
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from flask_migrate import migrate, upgrade

from dsar import create_app

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def next_revision_id() -> str:
    numbers = [int(m.group(1)) for p in VERSIONS.glob("*.py") if (m := re.match(r"(\d{4})_", p.name))]
    return f"{max(numbers, default=0) + 1:04d}"


def main(argv: list[str]) -> int:
    message = " ".join(argv).strip()
    if not message:
        print('make migration: say what changed, e.g. make migration MESSAGE="add invitations"', file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/scratch.db"})
        with app.app_context():
            upgrade()
            migrate(message=message, rev_id=next_revision_id())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
