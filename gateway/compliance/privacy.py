"""Data protection: everything we hold about a contact, and erasing it.

Erasure deletes the contact, their conversation, notes and every message to or from
their number, and keeps only what proves we honour it: a suppression entry and a ledger
row holding a hash of the number, so the number is never texted again even if someone
re-imports it.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway import contacts
from gateway.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    Contact,
    Conversation,
    InboundPart,
    Message,
    Note,
    Suppression,
)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export(session: Session, contact_id: int) -> dict[str, Any]:
    """Everything about one contact, as JSON-ready data."""
    contact = contacts.get(session, contact_id)
    conversation = session.scalars(
        select(Conversation).where(Conversation.contact_id == contact.id)
    ).first()
    notes = (
        session.scalars(
            select(Note).where(Note.conversation_id == conversation.id).order_by(Note.id)
        ).all()
        if conversation is not None
        else []
    )
    messages = session.scalars(
        select(Message).where(Message.peer == contact.number).order_by(Message.id)
    ).all()
    return {
        "contact": {
            "id": contact.id,
            "number": contact.number,
            "number_kind": contact.number_kind,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "time_zone": contact.time_zone,
            "tags": list(contact.tags),
            "fields": dict(contact.fields),
            "opted_out": contact.opted_out,
            "opted_out_at": _time(contact.opted_out_at),
            "created_at": _time(contact.created_at),
        },
        "conversation": None
        if conversation is None
        else {
            "id": conversation.id,
            "status": conversation.status,
            "assignee_id": conversation.assignee_id,
            "created_at": _time(conversation.created_at),
        },
        "notes": [
            {"id": n.id, "author_id": n.author_id, "body": n.body, "at": _time(n.created_at)}
            for n in notes
        ],
        "messages": [
            {
                "id": m.id,
                "direction": m.direction,
                "kind": m.kind,
                "state": m.state,
                "body": m.body,
                "modem": m.sent_modem or m.modem,
                "created_at": _time(m.created_at),
                "sent_at": _time(m.sent_at),
                "error": m.last_error,
            }
            for m in messages
        ],
        "consent": [
            {
                "action": e.action,
                "at": _time(e.at),
                "channel": e.channel,
                "message_id": e.message_id,
                "user_id": e.user_id,
                "detail": e.detail,
            }
            for e in contacts.ledger(session, contact)
        ],
    }


CSV_COLUMNS = ("record", "id", "at", "direction", "state", "text", "detail")


def export_csv(data: dict[str, Any]) -> str:
    """:func:`export`'s data as one CSV table, one row per record."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    person = data["contact"]
    name = " ".join(p for p in (person["first_name"], person["last_name"]) if p)
    details = f"tags={','.join(person['tags'])}; opted_out={person['opted_out']}"
    writer.writerow(["contact", person["id"], person["created_at"], "", "", name, details])
    for m in data["messages"]:
        writer.writerow(
            ["message", m["id"], m["created_at"], m["direction"], m["state"], m["body"], m["error"]]
        )
    for n in data["notes"]:
        writer.writerow(["note", n["id"], n["at"], "", "", n["body"], ""])
    for e in data["consent"]:
        writer.writerow(["consent", "", e["at"], "", e["action"], e["detail"], e["channel"]])
    return out.getvalue()


def erase(session: Session, contact_id: int, now: datetime, *, user_id: int | None) -> None:
    """Delete everything about the contact, keep its number suppressed (not committed)."""
    contact = contacts.get(session, contact_id)
    number, hashed = contact.number, contacts.number_hash(contact.number)
    if session.get(Suppression, hashed) is None:
        session.add(Suppression(number_hash=hashed, reason="erased", created_at=now))
    session.add(
        ConsentEvent(
            contact_id=None,
            number_hash=hashed,
            action=ConsentAction.OPT_OUT,
            at=now,
            channel=ConsentChannel.ERASURE,
            user_id=user_id,
            detail="contact erased",
        )
    )
    session.flush()
    session.execute(delete(Message).where(Message.peer == number))
    session.execute(delete(InboundPart).where(InboundPart.sender == number))
    session.execute(delete(Contact).where(Contact.id == contact.id))
    session.expunge(contact)
