"""``message.status``: the event a queue state change reports, with the whole message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from gateway.models import Message
from gateway.webhooks.events import EventType, emit
from gateway.webhooks.payloads import message_payload


def emit_message_status(session: Session, message_id: int, *, now: datetime) -> int:
    """Queue ``message.status`` for ``message_id`` as the session now sees it.

    Call it after the guarded update that changed the state and before its commit. The
    row is re-read because the queue changes states with bulk UPDATEs.
    """
    message = session.get(Message, message_id, populate_existing=True)
    if message is None:
        return 0
    return emit(session, EventType.MESSAGE_STATUS, message_payload(message), now=now)
