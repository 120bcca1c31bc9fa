"""Posting due outbox rows to their receivers, logging each attempt, scheduling retries.

Several nodes may share the outbox. A row is claimed by moving its ``next_attempt_at``
past the request timeout in a guarded update (``WHERE attempts = :seen AND
next_attempt_at <= :now``): only one worker wins, and if it dies mid-post the row simply
becomes due again.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from gateway import __version__
from gateway.config import WebhooksSection
from gateway.models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from gateway.queue.retry import Backoff
from gateway.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

log = logging.getLogger(__name__)

BATCH = 20
# Shown in the log; a receiver's whole page of HTML is of no use there.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Outcome:
    """What one POST got: an HTTP status, or an error when no answer came."""

    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a 2xx: following it would re-post the event elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    if urlsplit(url).scheme not in ("http", "https"):
        return Outcome(None, f"not an http(s) URL: {url!r}", 0)
    # The scheme is checked above, so no file: or custom URL is ever opened.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        error = f"{type(exc).__name__}: {reason}"[:MAX_ERROR_CHARS]
    duration_ms = round((time.monotonic() - started) * 1000)
    return Outcome(status, error, duration_ms)


def signed_headers(delivery: WebhookDelivery, secret: str, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": f"Cellgate/{__version__}",
        "X-Cellgate-Event": delivery.event_type,
        "X-Cellgate-Delivery": str(delivery.id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, delivery.body.encode()),
    }


def backoff_of(settings: WebhooksSection) -> Backoff:
    return Backoff(settings.max_attempts, settings.backoff_seconds, settings.backoff_max_seconds)


def _claim(session: Session, delivery: WebhookDelivery, now: datetime, lease: timedelta) -> bool:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            WebhookDelivery.state == DeliveryState.PENDING,
            WebhookDelivery.attempts == delivery.attempts,
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def attempt(
    session: Session, delivery: WebhookDelivery, settings: WebhooksSection, *, now: datetime
) -> Outcome | None:
    """Post one delivery now and record the outcome; None if another worker had it."""
    lease = timedelta(seconds=settings.timeout_seconds * 2)
    attempts = delivery.attempts
    if not _claim(session, delivery, now, lease):
        return None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None:
        return None
    outcome = post(
        endpoint.url,
        delivery.body.encode(),
        signed_headers(delivery, endpoint.secret, now),
        settings.timeout_seconds,
    )
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=now,
            status_code=outcome.status,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
        )
    )
    attempts += 1
    backoff = backoff_of(settings)
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status": outcome.status,
        "last_error": outcome.error,
    }
    if outcome.ok:
        values |= {"state": DeliveryState.DELIVERED, "delivered_at": now}
    elif backoff.exhausted(attempts):
        values["state"] = DeliveryState.FAILED
        log.warning("webhook delivery %s to %s failed for good", delivery.id, endpoint.url)
    else:
        values["next_attempt_at"] = now + backoff.delay(attempts)
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    session.refresh(delivery)
    return outcome


def deliver_due(
    session: Session, settings: WebhooksSection, *, clock: Callable[[], datetime] = utcnow
) -> int:
    """Attempt up to :data:`BATCH` due deliveries, oldest first; returns how many were tried.

    ``clock`` is read for each attempt, so a slow receiver does not age the timestamps
    of the ones after it.
    """
    due = session.scalars(
        select(WebhookDelivery)
        .join(WebhookEndpoint)
        .where(
            WebhookEndpoint.active,
            WebhookDelivery.state == DeliveryState.PENDING,
            WebhookDelivery.next_attempt_at <= clock(),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH)
    ).all()
    return sum(attempt(session, delivery, settings, now=clock()) is not None for delivery in due)


def next_due(session: Session) -> datetime | None:
    """When the earliest pending delivery to an active endpoint is due, if there is one."""
    return session.scalar(
        select(func.min(WebhookDelivery.next_attempt_at))
        .join(WebhookEndpoint)
        .where(WebhookEndpoint.active, WebhookDelivery.state == DeliveryState.PENDING)
    )
