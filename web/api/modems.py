"""``/modems``: each modem as its worker last wrote it, with this node's live health.

Every node writes the ``modems`` table; the counters (sent, failed, retries, latency)
live in the worker of the node that owns the modem, so they are present for this
node's modems and ``null`` for another node's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from gateway import modem_status
from gateway.apikeys import Scope
from gateway.config import Config
from gateway.dispatch import ModemHealth
from gateway.models import ModemRecord, utcnow
from gateway.services import Services
from gateway.webhooks.payloads import iso_time
from web.api.blueprint import bp
from web.api.keys import require
from web.db import get_session


def status(modem: ModemRecord, now: datetime) -> str:
    if modem.down_since is not None:
        return "down"
    if modem.cooldown_until is not None and modem.cooldown_until > now:
        return "cooling_down"
    return "up"


def health(item: ModemHealth) -> dict[str, Any]:
    return {
        "connected": item.connected,
        "sent": item.sent,
        "sent_parts": item.sent_parts,
        "failed": item.failed,
        "retries": item.retries,
        "last_latency_seconds": item.last_latency,
        "average_latency_seconds": item.average_latency,
        "last_error_at": iso_time(item.last_error_at),
        "down_reason": item.down_reason,
    }


@bp.get("/modems")
@require(Scope.READ)
def list_modems() -> dict[str, Any]:
    now = utcnow()
    config: Config = current_app.extensions["cellgate.config"]
    services: Services = current_app.extensions["cellgate.services"]
    views = modem_status.overview(get_session(), config, services.dispatcher, None, now=now)
    return {
        "data": [
            {
                "name": view.name,
                "status": status(modem, now),
                "node": modem.node,
                "number": modem.number,
                "manufacturer": modem.manufacturer,
                "model": modem.model,
                "imei": modem.imei,
                "last_seen_at": iso_time(modem.last_seen_at),
                "down_since": iso_time(modem.down_since),
                "cooldown_until": iso_time(modem.cooldown_until),
                "last_error": modem.last_error,
                "queued": view.queued,
                "sent_today": view.sent_today,
                "daily_cap": view.daily_cap,
                "health": health(view.health) if view.health is not None else None,
            }
            for view in views
            if (modem := view.record) is not None
        ]
    }
