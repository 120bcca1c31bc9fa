"""The database tables. Import models from here so every table is registered."""

from gateway.models.apikey import ApiKey
from gateway.models.base import Base, utcnow
from gateway.models.idempotency import IdempotencyRecord
from gateway.models.message import PRIORITY, Direction, Kind, Message, MessagePart
from gateway.models.modem import ModemRecord, Node
from gateway.models.user import Role, User
from gateway.models.webhook import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "PRIORITY",
    "ApiKey",
    "Base",
    "DeliveryState",
    "Direction",
    "IdempotencyRecord",
    "Kind",
    "Message",
    "MessagePart",
    "ModemRecord",
    "Node",
    "Role",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]
