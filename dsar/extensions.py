"""Flask extensions, created unbound; ``create_app`` binds them (STYLE rule 1).

``db`` is made here, at import. The others (``migrate``, ``login_manager``, ``csrf``,
``limiter``, ``babel``) are made the first time something imports them — a view, or
``create_app`` for the web app — so a command that serves no page (``dsar jobs list``,
``dsar datamap check``) never imports Alembic, Flask-Limiter or Flask-Babel (start-up,
issue #15). Each is still one object per process, made once.
"""
from __future__ import annotations

from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, event

from dsar.models.base import Base

db = SQLAlchemy(model_class=Base)


def _migrate():
    from flask_migrate import Migrate  # start-up: only the app that runs migrations imports Alembic

    return Migrate()


def _login_manager():
    from flask_login import LoginManager  # start-up: web only

    return LoginManager()


def _csrf():
    from flask_wtf import CSRFProtect  # start-up: web only

    return CSRFProtect()


def _limiter():
    from flask_limiter import Limiter  # start-up: web only
    from flask_limiter.util import get_remote_address  # start-up: web only

    return Limiter(key_func=get_remote_address, default_limits=[])


def _babel():
    from flask_babel import Babel  # start-up: only apps that render pages or messages

    return Babel()


_MAKERS = {"migrate": _migrate, "login_manager": _login_manager, "csrf": _csrf, "limiter": _limiter,
           "babel": _babel}
_MADE: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``from dsar.extensions import limiter``: the extension, made on first use (PEP 562)."""
    if name not in _MAKERS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _MADE:
        _MADE[name] = _MAKERS[name]()
    return _MADE[name]


def init_migrations(app) -> None:
    """Bind Flask-Migrate (the ``dsar db`` commands, ``flask_migrate.upgrade``) to ``app``."""
    from pathlib import Path

    directory = Path(__file__).resolve().parent.parent / "migrations"
    __getattr__("migrate").init_app(app, db, directory=str(directory), render_as_batch=True, compare_type=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys (cascades) and let readers work beside one writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
