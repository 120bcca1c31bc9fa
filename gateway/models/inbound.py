"""Inbound bookkeeping: parts awaiting their siblings, and what we know about a message.

A conversation thread is every message whose ``peer`` is the contact's number, in
order, so replies to a broadcast fall in after the broadcast without any link table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base


class InboundPart(Base):
    """One part of a concatenated SMS, committed before the SIM copy is deleted."""

    __tablename__ = "inbound_parts"
    __table_args__ = (Index("ix_inbound_parts_key", "sender", "reference", "total"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender: Mapped[str] = mapped_column(String(32))
    reference: Mapped[int]
    total: Mapped[int]
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    modem: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime]


class MessageMeta(Base):
    """Facts about a message the send queue does not keep."""

    __tablename__ = "message_meta"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    # Outbound: the campaign it belongs to, so replies can be scoped to it.
    campaign: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    # Inbound: part numbers that never arrived ("2,3"); the body shows a gap mark there.
    missing_parts: Mapped[str | None] = mapped_column(String(64), default=None)
    # Inbound: when keywords, auto-replies and the conversation were done with it.
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class AutoReplyLog(Base):
    """An out-of-hours reply sent: at most one per contact per closed period."""

    __tablename__ = "autoreply_log"
    __table_args__ = (UniqueConstraint("contact_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    period_start: Mapped[datetime]
    sent_at: Mapped[datetime]


class UndecodablePdu(Base):
    """An inbound PDU our codec could not read, kept as received instead of being lost.

    It is taken off the SIM like any message (a SIM that kept it would fill up), so
    this row is the only copy: the raw hex and the decoder's reason, for a person or a
    later codec to read.
    """

    __tablename__ = "undecodable_pdus"

    id: Mapped[int] = mapped_column(primary_key=True)
    modem: Mapped[str] = mapped_column(String(32))
    pdu: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
