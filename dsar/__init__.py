"""dsar: data-subject rights requests and data retention, self-hosted.

Flask is imported by ``create_app``, not here: ``dsar datamap`` (a file and the databases it
names, no app) starts without it (start-up, issue #15).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None,
               instance_path: str | None = None, web: bool = True) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI — nothing else.

    ``environ`` replaces ``os.environ`` (tests pass their own, so a developer's shell
    never leaks into them); ``overrides`` are Flask config keys applied last. ``web=False``
    leaves out the pages, the API, the request-cycle plumbing, translations and migrations
    (``dsar db`` then loads them when it runs), for the commands that neither serve a page
    nor write a message (``dsar --help``, ``dsar jobs list``, ``dsar datamap check``): they
    start without importing them.
    """
    from flask import Flask  # start-up: `dsar datamap` builds no app

    from dsar.response import DsarResponse  # start-up: imported when used

    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path,
                template_folder="../templates", static_folder="../static")
    app.response_class = DsarResponse
    from dsar.config import load_config  # start-up: imported when used

    app.config.update(load_config(app.instance_path, environ))
    if overrides:
        app.config.update(overrides)

    from dsar import keyring  # start-up: imported when used
    from dsar.extensions import db  # start-up: imported when used

    db.init_app(app)
    keyring.init_app(app)
    if web:
        _init_web(app)

    from dsar.commands import register_commands  # start-up: imported when used

    register_commands(app, web=web)
    _trust_proxies(app, app.config["DSAR_TRUSTED_PROXIES"])
    return app


def _trust_proxies(app: Flask, count: int) -> None:
    """Believe the client address and scheme the last ``count`` reverse proxies add
    (X-Forwarded-For/-Proto/-Host/-Port); with 0 (the default) those headers mean nothing,
    since anyone can send them."""
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count)


def _init_web(app: Flask) -> None:
    """The pages, the API, the messages' languages, the migrations and what every HTTP
    request goes through."""
    from dsar import translations  # start-up: imported when used
    from dsar.extensions import babel, init_migrations  # start-up: imported when used

    from dsar import schema_check  # start-up: imported when used

    schema_check.init_app(app)  # first of every request's checks: the others read the database
    init_migrations(app)
    babel.init_app(app)
    translations.init_app(app)  # catalogs compiled at start, locale from ?lang= / Accept-Language
    from dsar.web import http_errors, input_guard  # start-up: imported when used
    from dsar.extensions import csrf, limiter, login_manager  # start-up: imported when used

    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    http_errors.init_app(app)
    input_guard.init_app(app)

    from dsar.auth import bp as auth_bp  # start-up: imported when used
    from dsar.downloads import bp as downloads_bp  # start-up: imported when used
    from dsar.portal import bp as portal_bp  # start-up: imported when used

    app.register_blueprint(portal_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(downloads_bp)
    from dsar import dashboard  # start-up: imported when used
    from dsar.web import security_headers  # start-up: imported when used

    dashboard.init_app(app)
    security_headers.init_app(app)

    from dsar import api  # start-up: imported when used

    api.init_app(app)

    from dsar.web import unit_of_work  # start-up: imported when used

    unit_of_work.init_app(app)  # registered last, so it runs first: the others see its answer
