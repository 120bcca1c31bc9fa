"""Events and :func:`emit`, which turns one into outbox rows for its subscribers.

``emit`` only adds rows to the caller's session, so the event is committed or rolled
back with the change it reports. It also marks the session, and :func:`on_events` tells
the delivery thread after that commit, so events go out at once without polling.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.commit_signals import after_marked_commit, mark
from gateway.models import WebhookDelivery, WebhookEndpoint

_KEY = "cellgate.webhooks.pending"


class EventType(StrEnum):
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_STATUS = "message.status"
    CONTACT_OPTED_OUT = "contact.opted_out"
    CONVERSATION_ASSIGNED = "conversation.assigned"


EVENT_TYPES = frozenset(EventType)
# Sent by "send test event" to one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"


def envelope(event_type: str, payload: Mapping[str, Any], now: datetime) -> tuple[str, str]:
    """The event's id and the JSON body every receiver gets for it."""
    event_id = str(uuid.uuid4())
    body = {
        "id": event_id,
        "type": event_type,
        "created_at": now.isoformat(),
        "data": payload,
    }
    return event_id, json.dumps(body, separators=(",", ":"), sort_keys=True)


def queue_deliveries(
    session: Session,
    endpoint_ids: Sequence[int],
    event_type: str,
    payload: Mapping[str, Any],
    *,
    now: datetime,
) -> list[WebhookDelivery]:
    """One outbox row per endpoint for one event (all share its id and body); not committed."""
    event_id, body = envelope(event_type, payload, now)
    deliveries = [
        WebhookDelivery(
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=event_type,
            body=body,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
        for endpoint_id in endpoint_ids
    ]
    session.add_all(deliveries)
    if deliveries:
        mark(session, _KEY)
    return deliveries


def emit(
    session: Session, event_type: EventType, payload: Mapping[str, Any], *, now: datetime
) -> int:
    """Queue ``event_type`` for every active endpoint that subscribes to it.

    Not committed: call it in the transaction of the change it reports. Returns how
    many deliveries were queued.
    """
    endpoints = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active)).all()
    subscribed = [endpoint.id for endpoint in endpoints if event_type in endpoint.event_set]
    return len(queue_deliveries(session, subscribed, event_type, payload, now=now))


def on_events(sessions: sessionmaker[Session], callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each commit that queued deliveries; returns the unsubscriber."""
    return after_marked_commit(sessions, _KEY, callback)
