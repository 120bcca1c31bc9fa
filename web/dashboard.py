"""The page a user lands on after login."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from gateway.config import Config

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index() -> str:
    config: Config = current_app.extensions["cellgate.config"]
    return render_template("dashboard.html", modems=config.modems)
