"""``/contacts``: list, create, read, change, export and erase contacts.

Writing contacts needs the admin scope: it changes consent and can erase a person, which
a key made for sending (a CRM's) or for reading (a dashboard's) should not be able to do.
Changing ``opted_out`` writes the consent ledger as channel ``api``; someone who texted
STOP can only opt back in by text, so turning it off for them is refused with 409
``consent_locked``.
"""

from __future__ import annotations

import math
from typing import Any

from flask import current_app, request, url_for
from sqlalchemy.orm import Session

from gateway import contact_directory, contacts, directory
from gateway.apikeys import Scope
from gateway.compliance import privacy
from gateway.config import Config, time_zone
from gateway.errors import NotFound, ValidationError
from gateway.models import Contact, utcnow
from gateway.queue.numbers import normalise_number
from gateway.webhooks.payloads import iso_time
from web.api import body
from web.api.blueprint import bp
from web.api.errors import ApiError
from web.api.idempotency import idempotent
from web.api.keys import current_key, require
from web.api.messages import MAX_ID, MAX_PAGE_SIZE, PAGE_SIZE, decode_cursor
from web.db import get_session

EDITABLE = frozenset({"first_name", "last_name", "time_zone", "tags", "fields", "opted_out"})
NUMBER_LENGTH = 64
NAME_LENGTH = 64  # the columns' length
ZONE_LENGTH = 64
TAG_LENGTH = 32
MAX_TAGS = 50
FIELD_NAME_LENGTH = 64
FIELD_TEXT_LENGTH = 500
MAX_FIELDS = 50
# Beyond this a JSON number loses precision in JavaScript clients.
SAFE_INTEGER = 2**53 - 1


def _region() -> str:
    config: Config = current_app.extensions["cellgate.config"]
    return config.gateway.default_region


def contact_payload(contact: Contact, conversation_id: int | None) -> dict[str, Any]:
    return {
        "id": contact.id,
        "number": contact.number,
        "number_kind": contact.number_kind,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "time_zone": contact.time_zone,
        "tags": list(contact.tags),
        "fields": dict(contact.fields),
        "opted_out": contact.opted_out,
        "opted_out_at": iso_time(contact.opted_out_at),
        "opt_out_channel": contact.opt_out_channel,
        "conversation_id": conversation_id,
        "created_at": iso_time(contact.created_at),
    }


def _string(value: object, name: str, *, max_length: int, min_length: int = 0) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{name}: expected a string", field=name)
    if not min_length <= len(value) <= max_length:
        raise ValidationError(f"{name}: from {min_length} to {max_length} characters", field=name)
    # PostgreSQL stores neither NUL nor what is not UTF-8 (JSON can carry a lone surrogate).
    if "\x00" in value:
        raise ValidationError(f"{name}: must not contain NUL characters", field=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{name}: not valid Unicode text", field=name) from None
    return value


def _tags(value: object) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise ValidationError(f"tags: a list of at most {MAX_TAGS} strings", field="tags")
    tags = {_string(tag, "tags", max_length=TAG_LENGTH).strip() for tag in value}
    if "" in tags:
        raise ValidationError("tags: a tag cannot be blank", field="tags")
    return sorted(tags)


def _scalar(value: object, name: str) -> str | int | float | bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > SAFE_INTEGER:
            raise ValidationError(f"{name}: at most {SAFE_INTEGER} either way", field="fields")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{name}: must be a finite number", field="fields")
        return value
    if isinstance(value, str):
        return _string(value, "fields", max_length=FIELD_TEXT_LENGTH)
    raise ValidationError(f"{name}: a string, number or boolean", field="fields")


def _fields(value: object) -> dict[str, str | int | float | bool]:
    if not isinstance(value, dict) or len(value) > MAX_FIELDS:
        raise ValidationError(f"fields: an object of at most {MAX_FIELDS} values", field="fields")
    return {
        _string(key, "fields", max_length=FIELD_NAME_LENGTH, min_length=1): _scalar(
            item, f"fields.{key}"
        )
        for key, item in value.items()
    }


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """The checked new values of the editable fields present in ``data``."""
    changes: dict[str, Any] = {}
    for name in ("first_name", "last_name"):
        if name in data:
            value = data[name]
            changes[name] = "" if value is None else _string(value, name, max_length=NAME_LENGTH)
    if "time_zone" in data:
        zone = data["time_zone"]
        if zone is not None:
            try:
                zone = time_zone(_string(zone, "time_zone", max_length=ZONE_LENGTH))
            except ValueError as exc:
                raise ValidationError(str(exc), field="time_zone") from None
        changes["time_zone"] = zone
    if "tags" in data:
        changes["tags"] = _tags(data["tags"])
    if "fields" in data:
        changes["fields"] = _fields(data["fields"])
    if "opted_out" in data:
        if not isinstance(data["opted_out"], bool):
            raise ValidationError("opted_out: expected true or false", field="opted_out")
        changes["opted_out"] = data["opted_out"]
    return changes


def _apply(session: Session, contact: Contact, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if name == "opted_out":
            directory.set_opted_out(
                session, contact, value, utcnow(), detail=f"API key {current_key().name}"
            )
        else:
            setattr(contact, name, value)


def contact_by_id(session: Session, contact_id: int) -> Contact:
    if contact_id > MAX_ID:
        raise NotFound(f"no contact {contact_id}")
    return contacts.get(session, contact_id)


def _query_bool(name: str) -> bool | None:
    value = body.query_choice(name, frozenset({"true", "false"}))
    return None if value is None else value == "true"


@bp.get("/contacts")
@require(Scope.READ)
def list_contacts() -> dict[str, Any]:
    """Newest first; ``next_cursor`` fetches the page after this one."""
    number = body.query_text("number")
    cursor = request.args.get("cursor")
    page = directory.contacts_page(
        get_session(),
        limit=body.query_int("limit", default=PAGE_SIZE, low=1, high=MAX_PAGE_SIZE),
        before=None if cursor is None else decode_cursor(cursor),
        number=None if number is None else normalise_number(number, _region(), field="number"),
        opted_out=_query_bool("opted_out"),
    )
    return {
        "data": [contact_payload(contact, conversation) for contact, conversation in page.items],
        "next_cursor": None if page.next_cursor is None else str(page.next_cursor),
    }


@bp.post("/contacts")
@require(Scope.ADMIN)
@idempotent
def create_contact() -> tuple[dict[str, Any], int, dict[str, str]]:
    data = body.json_object(EDITABLE | {"number"})
    raw = body.required_text(data, "number", max_length=NUMBER_LENGTH)
    number = normalise_number(raw, _region(), field="number")
    changes = _changes(data)
    session = get_session()
    contact, new = directory.create_contact(session, number, utcnow())
    if not new:
        session.rollback()
        raise ApiError(409, f"contact {contact.id} has this number", field="number")
    _apply(session, contact, changes)
    session.commit()
    location = url_for("api.get_contact", contact_id=contact.id)
    return contact_payload(contact, None), 201, {"Location": location}


@bp.get("/contacts/<int:contact_id>")
@require(Scope.READ)
def get_contact(contact_id: int) -> dict[str, Any]:
    session = get_session()
    contact = contact_by_id(session, contact_id)
    return contact_payload(contact, contact_directory.conversation_id(session, contact))


@bp.patch("/contacts/<int:contact_id>")
@require(Scope.ADMIN)
def update_contact(contact_id: int) -> dict[str, Any]:
    """Change the fields given; ``tags`` and ``fields`` replace what was stored."""
    data = body.json_object(EDITABLE | {"number"})
    if "number" in data:
        raise ValidationError(
            "number cannot be changed: it is what the history is filed under", field="number"
        )
    changes = _changes(data)
    session = get_session()
    contact = contact_by_id(session, contact_id)
    _apply(session, contact, changes)
    session.commit()
    return contact_payload(contact, contact_directory.conversation_id(session, contact))


@bp.delete("/contacts/<int:contact_id>")
@require(Scope.ADMIN)
def erase_contact(contact_id: int) -> tuple[str, int]:
    """Erase the contact and their history; the number stays suppressed."""
    session = get_session()
    contact_by_id(session, contact_id)
    privacy.erase(session, contact_id, utcnow(), user_id=None)
    session.commit()
    return "", 204


@bp.get("/contacts/<int:contact_id>/export")
@require(Scope.READ)
def export_contact(contact_id: int) -> dict[str, Any]:
    session = get_session()
    return privacy.export(session, contact_by_id(session, contact_id).id)
