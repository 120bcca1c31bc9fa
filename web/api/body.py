"""Reading JSON request bodies and query strings with checks that name the field.

A handful of explicit checks keeps each error message precise ("``priority``: expected
a whole number") without a schema library between the request and the view.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from flask import request

from gateway.errors import ValidationError
from web.api.errors import ApiError


def json_object(allowed: frozenset[str]) -> dict[str, Any]:
    """The body as a JSON object with no keys outside ``allowed``."""
    if request.mimetype != "application/json":
        raise ApiError(415, "send the body as JSON with Content-Type: application/json")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    for name in data:
        if name not in allowed:
            raise ValidationError(f"unknown field {name!r}", field=name)
    return data


def text(data: dict[str, Any], name: str, *, max_length: int) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{name}: expected a string", field=name)
    _refuse_nul(value, name)
    if len(value) > max_length:
        raise ValidationError(f"{name}: at most {max_length} characters", field=name)
    return value


def _refuse_nul(value: str, name: str) -> None:
    # PostgreSQL cannot store NUL in text, and no SMS or modem name needs one.
    if "\x00" in value:
        raise ValidationError(f"{name}: must not contain NUL characters", field=name)


def query_text(name: str) -> str | None:
    value = request.args.get(name)
    if value is not None:
        _refuse_nul(value, name)
    return value


def required_text(data: dict[str, Any], name: str, *, max_length: int) -> str:
    value = text(data, name, max_length=max_length)
    if value is None:
        raise ValidationError(f"{name} is required", field=name)
    return value


def integer(data: dict[str, Any], name: str, *, low: int, high: int) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name}: expected a whole number", field=name)
    if not low <= value <= high:
        raise ValidationError(f"{name}: must be from {low} to {high}", field=name)
    return value


def timestamp(value: str | None, name: str) -> datetime | None:
    """An RFC 3339 time with an offset (``2026-05-01T09:00:00Z``)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{name}: expected a time like 2026-05-01T09:00:00Z", field=name
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError(f"{name}: give a time zone offset, e.g. Z for UTC", field=name)
    return parsed


def query_choice(name: str, choices: frozenset[str]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in choices:
        raise ValidationError(f"{name}: one of {', '.join(sorted(choices))}", field=name)
    return value


def query_int(name: str, *, default: int, low: int, high: int) -> int:
    value = request.args.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", value) or not low <= int(value) <= high:
        raise ValidationError(f"{name}: a whole number from {low} to {high}", field=name)
    return int(value)
