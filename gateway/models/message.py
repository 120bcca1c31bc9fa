"""Messages in both directions, and the parts an outbound message went out as.

One table holds both directions because a conversation thread shows them in one order.
Outbound rows are the send queue itself (DESIGN.md section 2): workers claim them with
guarded updates, so there is no other queue to lose.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class Direction(StrEnum):
    OUT = "out"
    IN = "in"


class Kind(StrEnum):
    """Why a message is sent; it decides the priority class."""

    CONVERSATION = "conversation"  # a person's reply in a thread
    TRANSACTIONAL = "transactional"  # codes, confirmations, alerts sent through the API
    SYSTEM = "system"  # auto-replies and compliance answers (STOP/HELP)
    MARKETING = "marketing"  # broadcasts and campaigns


# Lower goes first. Anyone waiting on an answer beats bulk traffic.
PRIORITY: dict[Kind, int] = {
    Kind.CONVERSATION: 10,
    Kind.SYSTEM: 10,
    Kind.TRANSACTIONAL: 20,
    Kind.MARKETING: 50,
}


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # The claim query: the next queued message of the best class, oldest first.
        Index("ix_messages_claim", "state", "priority", "id"),
        # enqueue_due and the retry timer.
        Index("ix_messages_state_next_attempt_at", "state", "next_attempt_at"),
        # Sticky sender: the last message with a contact.
        Index("ix_messages_peer_id", "peer", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    # None for inbound messages: the states describe the send queue.
    state: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default=Kind.TRANSACTIONAL)
    priority: Mapped[int] = mapped_column(default=PRIORITY[Kind.TRANSACTIONAL])
    # The other end, in E.164.
    peer: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int] = mapped_column(default=1)
    # The modem asked for (explicitly, or the contact's last SIM); any modem when None.
    modem: Mapped[str | None] = mapped_column(String(32))
    # The modem it went out on (or came in on); differs from ``modem`` after a takeover.
    sent_modem: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scheduled_at: Mapped[datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[int | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    final_at: Mapped[datetime | None] = mapped_column(default=None)
    # The node whose worker holds it in ``sending``; its lease is in ``nodes``.
    owner: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def taken_over(self) -> bool:
        """Sent from another SIM than the one asked for: the thread shows the number change."""
        return self.modem is not None and self.sent_modem not in (None, self.modem)


class MessagePart(Base):
    """One PDU of a sent message, as the modem numbered it, for matching delivery reports."""

    __tablename__ = "message_parts"
    __table_args__ = (
        UniqueConstraint("message_id", "part", name="uq_message_parts_message_id_part"),
        Index("ix_message_parts_match", "modem", "reference", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    part: Mapped[int]
    total: Mapped[int]
    modem: Mapped[str] = mapped_column(String(32))
    # TP-MR: 0-255, reused by the modem, so matching also needs recipient and time.
    reference: Mapped[int]
    recipient: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime]
    # TP-ST of the latest report, None until one arrives.
    status: Mapped[int | None] = mapped_column(default=None)
    report_final: Mapped[bool] = mapped_column(default=False)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
