"""Saved audiences, and the declared types of contacts' custom fields."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, utcnow


class Segment(Base):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # A gateway.segments.Filter as JSON.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATETIME = "datetime"  # stored in contacts.fields as ISO 8601 in UTC


class ContactField(Base):
    """A custom field with a declared type: import converts to it, segments compare by it."""

    __tablename__ = "contact_fields"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), default=FieldType.TEXT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
