"""Managing webhook endpoints, and the "send test event" action."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.config import WebhooksSection
from gateway.errors import NotFound, ValidationError
from gateway.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from gateway.webhooks.delivery import Outcome, attempt
from gateway.webhooks.events import EVENT_TYPES, TEST_EVENT, queue_deliveries


def add_endpoint(
    session: Session, url: str, events: Iterable[str], *, now: datetime
) -> WebhookEndpoint:
    """Subscribe ``url`` to ``events`` (all of them when empty), with a new random secret."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not url.isprintable():
        raise ValidationError("a webhook URL starts with http:// or https://", field="url")
    chosen = sorted(set(events) or EVENT_TYPES)
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        raise ValidationError(
            f"unknown event {unknown[0]!r} (known: {', '.join(sorted(EVENT_TYPES))})",
            field="events",
        )
    endpoint = WebhookEndpoint(
        url=url,
        secret=f"whsec_{secrets.token_urlsafe(32)}",
        events=" ".join(chosen),
        active=True,
        created_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def remove_endpoint(session: Session, endpoint_id: int) -> None:
    """Delete an endpoint with its pending deliveries and their log."""
    session.delete(get_endpoint(session, endpoint_id))


def recent_attempts(
    session: Session, endpoint_id: int, limit: int = 20
) -> list[tuple[WebhookDelivery, WebhookAttempt]]:
    """The delivery log of one endpoint, newest first."""
    rows = session.execute(
        select(WebhookDelivery, WebhookAttempt)
        .join(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookAttempt.id.desc())
        .limit(limit)
    ).all()
    return [(delivery, logged) for delivery, logged in rows]


def send_test_event(
    session: Session, endpoint_id: int, settings: WebhooksSection, *, now: datetime
) -> Outcome:
    """Post a ``webhook.test`` event to one endpoint now and say what it answered.

    It goes through the outbox like any event, so a failure is logged and retried.
    """
    endpoint = get_endpoint(session, endpoint_id)
    (delivery,) = queue_deliveries(
        session,
        [endpoint.id],
        TEST_EVENT,
        {"message": "A test event from Cellgate.", "endpoint_id": endpoint.id},
        now=now,
    )
    session.commit()
    outcome = attempt(session, delivery, settings, now=now)
    if outcome is None:
        raise NotFound(f"the test delivery to endpoint {endpoint_id} was taken by another worker")
    return outcome
