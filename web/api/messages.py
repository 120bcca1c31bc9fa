"""``/messages``: send one, read one, list them with filters and cursor pages."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, request, url_for
from sqlalchemy import select

from gateway.apikeys import Scope
from gateway.config import Config
from gateway.errors import NotFound, ValidationError
from gateway.models import Direction, Message, utcnow
from gateway.queue.enqueue import enqueue
from gateway.queue.numbers import normalise_number
from gateway.states import MessageState
from gateway.webhooks.payloads import message_payload
from web.api import body
from web.api.blueprint import bp
from web.api.idempotency import idempotent
from web.api.keys import require
from web.db import get_session

SEND_FIELDS = frozenset({"to", "body", "send_at", "modem", "priority"})
MAX_BODY_CHARACTERS = 1600
# Ids are INTEGER columns: 32-bit on PostgreSQL.
MAX_ID = 2**31 - 1
PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
CURSOR = re.compile(r"[0-9]{1,10}")


def _config() -> Config:
    config: Config = current_app.extensions["cellgate.config"]
    return config


@bp.post("/messages")
@require(Scope.SEND)
@idempotent
def send_message() -> tuple[dict[str, Any], int, dict[str, str]]:
    config = _config()
    data = body.json_object(SEND_FIELDS)
    to = body.required_text(data, "to", max_length=64)
    text = body.required_text(data, "body", max_length=MAX_BODY_CHARACTERS)
    send_at = body.timestamp(body.text(data, "send_at", max_length=64), "send_at")
    modem = body.text(data, "modem", max_length=32)
    priority = body.integer(data, "priority", low=0, high=100)
    if modem is not None and modem not in {m.name for m in config.modems}:
        raise ValidationError(f"no modem named {modem!r}", field="modem")
    message = enqueue(
        get_session(),
        to,
        text,
        region=config.gateway.default_region,
        now=utcnow(),
        send_at=send_at,
        modem=modem,
        priority=priority,
    )
    answer = {
        "id": message.id,
        "state": message.state,
        "segments": message.segments,
        "encoding": message.encoding,
    }
    return answer, 202, {"Location": url_for("api.get_message", message_id=message.id)}


@bp.get("/messages/<int:message_id>")
@require(Scope.READ)
def get_message(message_id: int) -> dict[str, Any]:
    message = get_session().get(Message, message_id) if message_id <= MAX_ID else None
    if message is None:
        raise NotFound(f"no message {message_id}")
    return message_payload(message)


def decode_cursor(cursor: str) -> int:
    """A cursor is the id of the last message of the previous page."""
    if not CURSOR.fullmatch(cursor) or int(cursor) > MAX_ID:
        raise ValidationError("cursor: use next_cursor from the previous page", field="cursor")
    return int(cursor)


@bp.get("/messages")
@require(Scope.READ)
def list_messages() -> dict[str, Any]:
    """Newest first; ``next_cursor`` fetches the page after this one."""
    config = _config()
    limit = body.query_int("limit", default=PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)
    query = select(Message).order_by(Message.id.desc()).limit(limit + 1)
    direction = body.query_choice("direction", frozenset(Direction))
    if direction is not None:
        query = query.where(Message.direction == direction)
    state = body.query_choice("state", frozenset(MessageState))
    if state is not None:
        query = query.where(Message.state == state)
    if (modem := body.query_text("modem")) is not None:
        query = query.where((Message.modem == modem) | (Message.sent_modem == modem))
    if (to := body.query_text("to")) is not None:
        query = query.where(
            Message.peer == normalise_number(to, config.gateway.default_region, field="to")
        )
    since = body.timestamp(request.args.get("since"), "since")
    if since is not None:
        query = query.where(Message.created_at >= since)
    if (cursor := request.args.get("cursor")) is not None:
        query = query.where(Message.id < decode_cursor(cursor))
    rows = get_session().scalars(query).all()
    page = rows[:limit]
    more = len(rows) > limit
    return {
        "data": [message_payload(message) for message in page],
        "next_cursor": str(page[-1].id) if more else None,
    }
