"""How a message looks to API clients and webhook receivers: one shape for both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.models import Message


def iso_time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def message_payload(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "state": message.state,
        "peer": message.peer,
        "body": message.body,
        "encoding": message.encoding,
        "segments": message.segments,
        "kind": message.kind,
        "priority": message.priority,
        "modem": message.modem,
        "sent_modem": message.sent_modem,
        "attempts": message.attempts,
        "error": message.last_error,
        "error_code": message.error_code,
        "created_at": iso_time(message.created_at),
        "scheduled_at": iso_time(message.scheduled_at),
        "sent_at": iso_time(message.sent_at),
        "final_at": iso_time(message.final_at),
    }
