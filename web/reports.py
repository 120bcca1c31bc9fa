"""Reports over the last days, with charts drawn on the server as SVG."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request

from gateway import reports
from gateway.config import Config
from gateway.models import utcnow
from web.db import get_session

bp = Blueprint("reports", __name__, url_prefix="/reports")

PERIODS = (7, 30, 90)


@bp.get("/")
def index() -> str:
    config: Config = current_app.extensions["cellgate.config"]
    days = request.args.get("days", "30")
    period = int(days) if days.isdigit() and int(days) in PERIODS else 30
    window = reports.Window.last_days(period, utcnow(), ZoneInfo(config.gateway.timezone))
    db = get_session()
    return render_template(
        "reports/index.html",
        period=period,
        periods=PERIODS,
        rates=reports.rates(db, window),
        agents=reports.agent_times(db, window),
        volume=reports.volume(db, window),
    )
