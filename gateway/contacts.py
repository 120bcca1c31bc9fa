"""Contacts: created on first contact, and the consent changes that belong to them.

Every opt-in and opt-out goes through :func:`opt_out` / :func:`opt_in`, which write the
consent ledger in the same transaction as the change. A contact who opted out by text
can only opt back in by text: staff and the API are refused (:class:`ConsentLocked`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import NotFound, ValidationError
from gateway.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    Contact,
    NumberKind,
    Suppression,
)
from gateway.queue.numbers import normalise_number

NUMBER_LENGTH = 32


class ConsentLocked(ValidationError):
    """Staff tried to re-subscribe someone who texted STOP; only the contact can."""


@dataclass(frozen=True)
class Sender:
    """A sender as we file it: the E.164 number, or the raw text and why it is not one."""

    number: str
    kind: NumberKind


def classify_sender(raw: str, region: str) -> Sender:
    """E.164 when ``raw`` is a possible number; names ("MyBank") and junk are kept raw."""
    kept = raw.strip()[:NUMBER_LENGTH]
    if any(char.isalpha() for char in kept):
        return Sender(kept, NumberKind.ALPHANUMERIC)
    try:
        return Sender(normalise_number(kept, region), NumberKind.E164)
    except ValidationError:
        return Sender(kept, NumberKind.INVALID)


def number_hash(number: str) -> str:
    """How a number is remembered after its contact is gone (suppression, ledger)."""
    return hashlib.sha256(number.encode()).hexdigest()


def find(session: Session, number: str) -> Contact | None:
    return session.scalars(select(Contact).where(Contact.number == number)).first()


def get(session: Session, contact_id: int) -> Contact:

    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return contact


def get_or_create(session: Session, sender: Sender, now: datetime) -> tuple[Contact, bool]:
    """The contact for ``sender``, created (flushed, not committed) when new.

    Two nodes seeing the same new sender at once: the loser's insert fails on the unique
    number, is rolled back to a savepoint, and it takes the winner's row.
    """
    existing = find(session, sender.number)
    if existing is not None:
        return existing, False
    contact = Contact(
        number=sender.number,
        number_kind=sender.kind,
        tags=[],
        fields={},
        opted_out=False,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(contact)
    except IntegrityError:
        winner = find(session, sender.number)
        if winner is None:
            raise
        return winner, False
    return contact, True


def suppression_reason(session: Session, number: str) -> str | None:
    """Why ``number`` must not be texted (opted out, erased), or ``None``."""
    contact = find(session, number)
    if contact is not None and contact.opted_out:
        return "opted out"
    entry = session.get(Suppression, number_hash(number))
    return f"suppressed: {entry.reason}" if entry is not None else None


def _record(
    session: Session,
    contact: Contact,
    action: ConsentAction,
    channel: ConsentChannel,
    now: datetime,
    *,
    message_id: int | None,
    user_id: int | None,
    detail: str,
) -> ConsentEvent:
    event = ConsentEvent(
        contact_id=contact.id,
        number_hash=number_hash(contact.number),
        action=action,
        at=now,
        channel=channel,
        message_id=message_id,
        user_id=user_id,
        detail=detail,
    )
    session.add(event)
    return event


def opt_out(
    session: Session,
    contact: Contact,
    channel: ConsentChannel,
    now: datetime,
    *,
    message_id: int | None = None,
    user_id: int | None = None,
    detail: str = "",
) -> bool:
    """Opt ``contact`` out (not committed); ``False`` when they already were."""
    if contact.opted_out:
        return False
    contact.opted_out = True
    contact.opted_out_at = now
    contact.opt_out_channel = channel
    _record(
        session,
        contact,
        ConsentAction.OPT_OUT,
        channel,
        now,
        message_id=message_id,
        user_id=user_id,
        detail=detail,
    )
    return True


def opt_in(
    session: Session,
    contact: Contact,
    channel: ConsentChannel,
    now: datetime,
    *,
    message_id: int | None = None,
    user_id: int | None = None,
    detail: str = "",
) -> bool:
    """Opt ``contact`` back in (not committed); ``False`` when they were not opted out.

    Raises :class:`ConsentLocked` when the contact opted out by text and this change
    does not come from them by text.
    """
    if not contact.opted_out:
        return False
    if contact.opt_out_channel == ConsentChannel.SMS and channel != ConsentChannel.SMS:
        raise ConsentLocked(
            "this contact opted out by text; only they can opt back in (by texting START)",
            field="opted_out",
        )
    contact.opted_out = False
    contact.opted_out_at = None
    contact.opt_out_channel = None
    _record(
        session,
        contact,
        ConsentAction.OPT_IN,
        channel,
        now,
        message_id=message_id,
        user_id=user_id,
        detail=detail,
    )
    return True


def ledger(session: Session, contact: Contact) -> list[ConsentEvent]:
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.number_hash == number_hash(contact.number))
            .order_by(ConsentEvent.id)
        )
    )
