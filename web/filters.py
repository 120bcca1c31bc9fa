"""Jinja filters: times in the business's time zone, and small display helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from gateway.config import Config


def init_app(app: Flask, config: Config) -> None:
    zone = ZoneInfo(config.gateway.timezone)

    def localtime(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return moment.astimezone(zone).strftime(pattern) if moment is not None else ""

    def isotime(moment: datetime | None) -> str:
        return moment.astimezone(zone).isoformat() if moment is not None else ""

    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["isotime"] = isotime
    app.jinja_env.globals["timezone_name"] = config.gateway.timezone
