"""``/modems``: each modem's health as its worker last wrote it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from gateway.apikeys import Scope
from gateway.models import ModemRecord, utcnow
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


@bp.get("/modems")
@require(Scope.READ)
def list_modems() -> dict[str, Any]:
    now = utcnow()
    modems = get_session().scalars(select(ModemRecord).order_by(ModemRecord.name)).all()
    return {
        "data": [
            {
                "name": modem.name,
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
            }
            for modem in modems
        ]
    }
