"""``message.status``: the event a queue state change reports, with the whole message."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Message, WebhookEndpoint, utcnow
from gateway.queue.changes import StateChange
from gateway.states import MessageState
from gateway.webhooks.events import EventType, emit
from gateway.webhooks.payloads import message_payload

# A worker's own hand-over, not news for a CRM.
UNANNOUNCED = frozenset({MessageState.SENDING})
SUBSCRIBERS_TTL = 5.0  # seconds a "does anyone want message.status?" answer is kept


def emit_message_status(session: Session, message_id: int, *, now: datetime) -> int:
    """Queue ``message.status`` for ``message_id`` as the session now sees it.

    Call it after the guarded update that changed the state and before its commit. The
    row is re-read because the queue changes states with bulk UPDATEs.
    """
    message = session.get(Message, message_id, populate_existing=True)
    if message is None:
        return 0
    return emit(session, EventType.MESSAGE_STATUS, message_payload(message), now=now)


class MessageStatusWebhooks:
    """A before-commit listener (see gateway.queue.changes) queuing ``message.status``.

    The send path commits for every message, so whether any endpoint subscribes is
    asked at most every few seconds instead of on each commit; a new endpoint hears
    of state changes within that time.
    """

    def __init__(self, *, ticker: Callable[[], float] = time.monotonic) -> None:
        self._ticker = ticker
        self._wanted = False
        self._asked_at: float | None = None

    def _anyone_subscribes(self, session: Session) -> bool:
        now = self._ticker()
        if self._asked_at is None or now - self._asked_at >= SUBSCRIBERS_TTL:
            endpoints = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active)).all()
            self._wanted = any(EventType.MESSAGE_STATUS in e.event_set for e in endpoints)
            self._asked_at = now
        return self._wanted

    def __call__(self, session: Session, changes: list[StateChange]) -> None:
        announced = [id_ for id_, state in changes if state not in UNANNOUNCED]
        if not announced or not self._anyone_subscribes(session):
            return
        now = utcnow()
        for message_id in announced:
            emit_message_status(session, message_id, now=now)
