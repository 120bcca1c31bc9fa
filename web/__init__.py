"""The Flask application: HTML UI and REST API, a thin shell over gateway/ services."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from gateway import __version__
from gateway.config import Config
from gateway.db import UNAVAILABLE, is_transient, log_failure
from gateway.errors import NotFound
from gateway.secret_key import load_or_create
from gateway.services import Services
from web import (
    api,
    auth,
    campaigns,
    contacts,
    dashboard,
    db,
    filters,
    inbox,
    live,
    reports,
    security,
    settings,
)
from web.api.errors import error_response

log = logging.getLogger(__name__)

# How long a client should wait before asking again while the database does not answer.
RETRY_AFTER_SECONDS = 5


def _not_found(exc: NotFound) -> tuple[str, int]:
    """A gateway lookup that found nothing, on an HTML page (the API answers its own)."""
    return render_template("error.html", title="Not found", message=str(exc)), 404


def _database_unavailable(exc: Exception) -> Response | tuple[str, int, dict[str, str]]:
    """SQLite locked past its busy timeout, PostgreSQL restarting: 503 with Retry-After,
    so a client (a CRM, a browser) tries again instead of taking it for a fault. A
    fault that waiting does not mend (a database never upgraded) stays a 500."""
    if not is_transient(exc):
        raise exc
    log_failure(log, exc, "%s %s", request.method, request.path)
    message = "The database is not answering. Nothing was changed; try again shortly."
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if api.is_api_path(request.path):
        return error_response(503, message, headers=headers)
    page = render_template("error.html", title="Try again shortly", message=message)
    return page, 503, headers


def create_app(
    config: Config, sessions: sessionmaker[Session], services: Services | None = None
) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=load_or_create(config.secret_key_path),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.web.secure_cookies,
        SESSION_COOKIE_NAME="cellgate_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.extensions["cellgate.config"] = config
    app.extensions["cellgate.services"] = services or Services()
    app.jinja_env.globals["version"] = __version__
    CSRFProtect(app)
    db.init_app(app, sessions)
    security.init_app(app)
    filters.init_app(app, config)
    for blueprint in (
        auth.bp,
        dashboard.bp,
        inbox.bp,
        contacts.bp,
        campaigns.bp,
        reports.bp,
        settings.bp,
        live.bp,
    ):
        app.register_blueprint(blueprint)
    app.register_error_handler(NotFound, _not_found)
    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, _database_unavailable)
    api.init_app(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
