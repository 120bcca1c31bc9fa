"""The people who text us, and the numbers that must never be texted again."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class NumberKind(StrEnum):
    """What a contact's ``number`` is; only E.164 numbers can be texted."""

    E164 = "e164"
    ALPHANUMERIC = "alphanumeric"  # a sender name such as "MyBank": cannot be replied to
    INVALID = "invalid"  # digits phonenumbers rejects, kept exactly as received


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # E.164 when ``number_kind`` is e164, else the sender exactly as it arrived.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    number_kind: Mapped[str] = mapped_column(String(16), default=NumberKind.E164)
    first_name: Mapped[str] = mapped_column(String(64), default="")
    last_name: Mapped[str] = mapped_column(String(64), default="")
    # An IANA zone that overrides the one guessed from the number (quiet hours).
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)
    # Replaced, never mutated in place, so the ORM sees each change.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opted_out: Mapped[bool] = mapped_column(default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(default=None)
    # "sms" when the contact opted out themselves: then only they can opt back in.
    opt_out_channel: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def textable(self) -> bool:
        return self.number_kind == NumberKind.E164

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part) or self.number


class Suppression(Base):
    """A number that must never be texted again, kept after its contact was erased.

    Only a hash of the E.164 number is kept, so the list proves the promise without
    keeping the person's number in clear.
    """

    __tablename__ = "suppressions"

    number_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
