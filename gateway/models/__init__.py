"""The database tables. Import models from here so every table is registered."""

from gateway.models.apikey import ApiKey
from gateway.models.base import Base, utcnow
from gateway.models.campaign import (
    Campaign,
    CampaignRun,
    CampaignStatus,
    RunState,
    ScheduleKind,
)
from gateway.models.consent import ConsentAction, ConsentChannel, ConsentEvent
from gateway.models.contact import Contact, NumberKind, Suppression
from gateway.models.conversation import Conversation, ConversationStatus, Note
from gateway.models.idempotency import IdempotencyRecord
from gateway.models.inbound import AutoReplyLog, InboundPart, MessageMeta, UndecodablePdu
from gateway.models.keyword_rule import KeywordRule
from gateway.models.message import PRIORITY, Direction, Kind, Message, MessagePart
from gateway.models.modem import ModemRecord, Node
from gateway.models.reply_template import Closure, ReplyTemplate
from gateway.models.segment import ContactField, FieldType, Segment
from gateway.models.setting import SettingChange
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
    "AutoReplyLog",
    "Base",
    "Campaign",
    "CampaignRun",
    "CampaignStatus",
    "Closure",
    "ConsentAction",
    "ConsentChannel",
    "ConsentEvent",
    "Contact",
    "ContactField",
    "Conversation",
    "ConversationStatus",
    "DeliveryState",
    "Direction",
    "FieldType",
    "IdempotencyRecord",
    "InboundPart",
    "KeywordRule",
    "Kind",
    "Message",
    "MessageMeta",
    "MessagePart",
    "ModemRecord",
    "Node",
    "Note",
    "NumberKind",
    "ReplyTemplate",
    "Role",
    "RunState",
    "ScheduleKind",
    "Segment",
    "SettingChange",
    "Suppression",
    "UndecodablePdu",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]
