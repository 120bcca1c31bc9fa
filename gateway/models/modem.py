"""Modems and gateway nodes as every node and the web UI see them.

The worker that owns a modem writes its row; other nodes read it to decide when a
sticky conversation may move to another SIM. A node's lease in ``nodes`` says how long
its ``sending`` rows are its own: after that another node may recover them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base


class ModemRecord(Base):
    __tablename__ = "modems"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    node: Mapped[str] = mapped_column(String(64))
    manufacturer: Mapped[str | None] = mapped_column(String(64), default=None)
    model: Mapped[str | None] = mapped_column(String(64), default=None)
    imei: Mapped[str | None] = mapped_column(String(20), default=None)
    iccid: Mapped[str | None] = mapped_column(String(24), default=None)
    number: Mapped[str | None] = mapped_column(String(32), default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    # Since when it cannot send (port gone, cap reached); None while it can.
    down_since: Mapped[datetime | None] = mapped_column(default=None)
    cooldown_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class Node(Base):
    __tablename__ = "nodes"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    lease_until: Mapped[datetime]
