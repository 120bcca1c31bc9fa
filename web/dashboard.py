"""The page a user lands on: every modem's health, refreshed live; the USSD balance check."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from gateway import modem_status
from gateway.config import Config
from gateway.errors import NotFound, ValidationError
from gateway.models import utcnow
from gateway.services import Services
from web.auth import admin_required
from web.db import get_session

bp = Blueprint("dashboard", __name__)

DEFAULT_BALANCE_CODE = "*100#"


def _probe() -> modem_status.RadioProbe:
    probe: modem_status.RadioProbe = current_app.extensions.setdefault(
        "cellgate.radio_probe", modem_status.RadioProbe()
    )
    return probe


def _context() -> dict[str, object]:
    config: Config = current_app.extensions["cellgate.config"]
    services: Services = current_app.extensions["cellgate.services"]
    db = get_session()
    return {
        "modems": modem_status.overview(db, config, services.dispatcher, _probe(), now=utcnow()),
        "unassigned": modem_status.unassigned_queue(db),
        "balance_code": DEFAULT_BALANCE_CODE,
    }


@bp.get("/")
def index() -> str:
    return render_template("dashboard.html", **_context())


@bp.get("/modems")
def modems() -> str:
    """The modem cards alone, for the live refresh."""
    return render_template("_modems.html", **_context())


@bp.post("/modems/<name>/ussd")
@admin_required
def ussd(name: str) -> Response:
    services: Services = current_app.extensions["cellgate.services"]
    code = request.form.get("code", DEFAULT_BALANCE_CODE).strip()
    try:
        answer = modem_status.check_balance(services.dispatcher, name, code)
    except (NotFound, ValidationError) as exc:
        flash(str(exc), "error")
    else:
        flash(f"{name} {code}: {answer}", "info")
    return redirect(url_for("dashboard.index"))
