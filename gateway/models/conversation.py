"""One conversation per contact: the shared inbox's unit of work."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class ConversationStatus(StrEnum):
    OPEN = "open"  # waiting for us
    PENDING = "pending"  # waiting for the contact
    CLOSED = "closed"  # done; a new inbound message reopens it


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_status_last", "status", "last_message_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(8), default=ConversationStatus.OPEN)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # A short exclusive hold while one agent writes a reply.
    claimed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    unread: Mapped[int] = mapped_column(default=0)
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    """An internal note in a conversation: seen by staff, never sent."""

    __tablename__ = "conversation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
