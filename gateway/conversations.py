"""The shared inbox: one conversation per contact, assignment, claims, notes, replies.

A thread is every message whose ``peer`` is the contact's number, oldest first, so a
reply to a broadcast appears right after that broadcast. A claim is a short lease
taken with one guarded update, so two agents cannot both answer the same customer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.errors import GatewayError, NotFound, ValidationError
from gateway.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Kind,
    Message,
    Note,
    Role,
    User,
)
from gateway.queue.enqueue import enqueue


class ConversationClaimed(GatewayError):
    """Another agent holds the conversation right now (the web layer answers 409)."""

    def __init__(self, holder: int, until: datetime) -> None:
        super().__init__(f"user {holder} is replying to this conversation until {until}")
        self.holder = holder
        self.until = until


def get(session: Session, conversation_id: int) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conversation


def for_contact(session: Session, contact: Contact, now: datetime) -> tuple[Conversation, bool]:
    """The contact's conversation, created (flushed) when it has none yet.

    Two modems receiving from the same new contact at once: the loser's insert fails on
    the unique contact, is rolled back to a savepoint, and it takes the winner's row.
    """
    query = select(Conversation).where(Conversation.contact_id == contact.id)
    found = session.scalars(query).first()
    if found is not None:
        return found, False
    conversation = Conversation(
        contact_id=contact.id, status=ConversationStatus.OPEN, unread=0, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(conversation)
    except IntegrityError:
        return session.scalars(query).one(), False
    return conversation, True


def next_agent(session: Session) -> int | None:
    """Round robin: the active agent after the one given the latest assigned conversation."""
    agents = list(
        session.scalars(
            select(User.id).where(User.active, User.role == Role.AGENT).order_by(User.id)
        )
    )
    if not agents:
        return None
    last = session.scalars(
        select(Conversation.assignee_id)
        .where(Conversation.assignee_id.in_(agents))
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(1)
    ).first()
    later = [agent for agent in agents if last is not None and agent > last]
    return later[0] if later else agents[0]


def record_inbound(
    session: Session, contact: Contact, now: datetime, *, round_robin: bool = False
) -> Conversation:
    """File an inbound message: reopen, count it unread, assign a new one if asked to."""
    conversation, created = for_contact(session, contact, now)
    conversation.status = ConversationStatus.OPEN
    conversation.unread += 1
    conversation.last_message_at = now
    if created and round_robin and conversation.assignee_id is None:
        conversation.assignee_id = next_agent(session)
    return conversation


def assign(session: Session, conversation: Conversation, user_id: int | None) -> bool:
    """Give the conversation to ``user_id`` (or nobody); ``True`` when that changed it."""
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None or not user.active:
            raise ValidationError(f"no active user {user_id}", field="assignee")
    changed = conversation.assignee_id != user_id
    conversation.assignee_id = user_id
    return changed


def set_status(conversation: Conversation, status: str) -> None:
    try:
        conversation.status = ConversationStatus(status)
    except ValueError:
        raise ValidationError(f"unknown status {status!r}", field="status") from None


def mark_read(conversation: Conversation) -> None:
    conversation.unread = 0


def claim(
    session: Session, conversation_id: int, user_id: int, now: datetime, *, ttl: timedelta
) -> bool:
    """Take (or extend) the reply lease; ``False`` when another agent holds it. Commits."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Conversation)
        .where(
            Conversation.id == conversation_id,
            or_(
                Conversation.claimed_by.is_(None),
                Conversation.claimed_by == user_id,
                Conversation.claimed_until <= now,
            ),
        )
        .values(claimed_by=user_id, claimed_until=now + ttl)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def release(session: Session, conversation_id: int, user_id: int) -> None:
    """Give the lease back (only its holder can). Commits."""
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.claimed_by == user_id)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def add_note(
    session: Session, conversation: Conversation, author_id: int | None, body: str, now: datetime
) -> Note:
    if not body.strip():
        raise ValidationError("the note is empty", field="body")
    note = Note(conversation_id=conversation.id, author_id=author_id, body=body, created_at=now)
    session.add(note)
    return note


def notes(session: Session, conversation: Conversation) -> list[Note]:
    return list(
        session.scalars(
            select(Note).where(Note.conversation_id == conversation.id).order_by(Note.id)
        )
    )


def contact_of(session: Session, conversation: Conversation) -> Contact:
    contact = session.get(Contact, conversation.contact_id)
    if contact is None:  # the foreign key cascades, so only a concurrent erasure gets here
        raise NotFound(f"conversation {conversation.id} has no contact")
    return contact


def thread(session: Session, conversation: Conversation) -> list[Message]:
    number = contact_of(session, conversation).number
    return list(
        session.scalars(
            select(Message).where(Message.peer == number).order_by(Message.created_at, Message.id)
        )
    )


def reply(
    session: Session,
    conversation: Conversation,
    body: str,
    *,
    user_id: int,
    region: str,
    now: datetime,
    send_at: datetime | None = None,
) -> Message:
    """Queue an agent's reply (through the compliance gate, like every send). Commits.

    ``send_at`` schedules it for later (the queue holds it as ``scheduled`` until then).

    Raises :class:`ConversationClaimed` while another agent holds the claim, and
    :class:`ValidationError` for a contact that cannot be texted.
    """
    held = conversation.claimed_by is not None and conversation.claimed_by != user_id
    if held and conversation.claimed_until is not None and conversation.claimed_until > now:
        raise ConversationClaimed(conversation.claimed_by or 0, conversation.claimed_until)
    contact = contact_of(session, conversation)
    if not contact.textable:
        raise ValidationError(f"{contact.number} cannot be replied to", field="to")
    conversation.unread = 0
    conversation.status = ConversationStatus.PENDING
    conversation.last_message_at = now
    return enqueue(
        session,
        contact.number,
        body,
        kind=Kind.CONVERSATION,
        region=region,
        now=now,
        send_at=send_at,
    )
