"""The Flask application: HTML UI and REST API, a thin shell over gateway/ services."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, render_template
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from gateway import __version__
from gateway.config import Config
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


def _not_found(exc: NotFound) -> tuple[str, int]:
    """A gateway lookup that found nothing, on an HTML page (the API answers its own)."""
    return render_template("error.html", message=str(exc)), 404


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
    api.init_app(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
