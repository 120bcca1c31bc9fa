"""Typed custom fields: what a column of contacts' ``fields`` holds, and converting to it.

``contacts.fields`` is free JSON, so the type lives beside it in ``contact_fields``.
Numbers are stored as JSON numbers and date/times as ISO 8601 in UTC, which is what
lets a segment ask "appointment_at within 2 days" and a relative campaign fire on it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.errors import ValidationError
from gateway.models import ContactField, FieldType
from gateway.reply_templates import MERGE_FIELDS

NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def types(session: Session) -> dict[str, FieldType]:
    return {row.name: FieldType(row.type) for row in session.scalars(select(ContactField))}


def declare(session: Session, name: str, type_: str) -> ContactField:
    """Add or retype a field (not committed)."""
    if not NAME.fullmatch(name) or name in MERGE_FIELDS:
        raise ValidationError(
            "a field name is lower-case letters, digits and _, and not a standard field",
            field="name",
        )
    try:
        kind = FieldType(type_)
    except ValueError:
        raise ValidationError(f"unknown field type {type_!r}", field="type") from None
    field = session.get(ContactField, name) or ContactField(name=name)
    field.type = kind
    session.add(field)
    return field


def parse_datetime(raw: str, zone: str = "UTC") -> datetime:
    """An ISO 8601 date or date/time; naive values are read in ``zone``."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    except ValueError:
        raise ValidationError(f"{raw!r} is not a date/time (use 2026-05-01 14:30)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


def convert(kind: FieldType, raw: Any, zone: str = "UTC") -> Any:
    """``raw`` (text from a form or CSV, or a JSON value) as the field type stores it."""
    if kind is FieldType.TEXT:
        return str(raw)
    if kind is FieldType.NUMBER:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return raw
        try:
            number = float(str(raw).strip())
        except ValueError:
            raise ValidationError(f"{raw!r} is not a number") from None
        return int(number) if number.is_integer() else number
    return parse_datetime(str(raw), zone).isoformat()


def stored_datetime(value: Any) -> datetime | None:
    """A stored date/time field back as an aware time; ``None`` when absent or not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValidationError:
        return None
