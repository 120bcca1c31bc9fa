"""The database tables. Import models from here so every table is registered."""

from gateway.models.base import Base, utcnow
from gateway.models.message import PRIORITY, Direction, Kind, Message, MessagePart
from gateway.models.modem import ModemRecord, Node
from gateway.models.user import Role, User

__all__ = [
    "PRIORITY",
    "Base",
    "Direction",
    "Kind",
    "Message",
    "MessagePart",
    "ModemRecord",
    "Node",
    "Role",
    "User",
    "utcnow",
]
