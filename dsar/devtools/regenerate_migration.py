"""Regenerate the initial schema migration from the models (`make migration`).

Until the first release the schema has one revision, regenerated when models change, so
the history stays readable. After a release, add revisions with `dsar db migrate` instead.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask_migrate import migrate

from dsar import create_app

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def main() -> None:
    for old in VERSIONS.glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/empty.db"})
        with app.app_context():
            migrate(message="initial schema", rev_id="0001")
    print(f"wrote {next(VERSIONS.glob('*.py')).name}")


if __name__ == "__main__":
    main()
