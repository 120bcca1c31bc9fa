"""Signed webhooks from a durable outbox (DESIGN.md section 4).

Report a change with :func:`emit` in the transaction that makes it; the delivery thread
(:class:`WebhookWorker`) posts the event to every subscribed endpoint, signed, and
retries with exponential backoff until the receiver answers 2xx or attempts run out.
"""

from gateway.webhooks.events import EVENT_TYPES, TEST_EVENT, EventType, emit, on_events
from gateway.webhooks.message_status import emit_message_status
from gateway.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify

__all__ = [
    "EVENT_TYPES",
    "SIGNATURE_HEADER",
    "TEST_EVENT",
    "TIMESTAMP_HEADER",
    "EventType",
    "emit",
    "emit_message_status",
    "on_events",
    "sign",
    "verify",
]
