"""The shared inbox's read side: which conversations a person sees, in which order.

Unread conversations come first, then the most recent; a search matches the contact's
name or number or the text of any message in the thread. Writes (assign, reply, notes)
are :mod:`gateway.conversations`' job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ScalarSelect, Select, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from gateway.conversations import mark_read, set_status
from gateway.errors import ValidationError
from gateway.models import Closure, Contact, Conversation, ConversationStatus, Message, User

PER_PAGE = 25


class Scope(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


@dataclass(frozen=True)
class Filters:
    scope: Scope = Scope.ALL
    status: ConversationStatus | None = None
    query: str = ""

    @classmethod
    def parse(cls, scope: str, status: str, query: str) -> Filters:
        """From query-string values; empty ones mean "any"."""
        try:
            return cls(
                Scope(scope or Scope.ALL),
                ConversationStatus(status) if status else None,
                query.strip(),
            )
        except ValueError:
            raise ValidationError(f"unknown filter {scope!r}/{status!r}") from None


@dataclass(frozen=True)
class Row:
    conversation: Conversation
    contact: Contact
    assignee: str | None
    last_body: str | None
    last_direction: str | None


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    number: int
    pages: int
    total: int


def _last(column: str) -> ScalarSelect[str]:
    """The latest message's ``column`` in the contact's thread."""
    latest = aliased(Message)
    return (
        select(getattr(latest, column))
        .where(latest.peer == Contact.number)
        .order_by(latest.id.desc())
        .limit(1)
        .correlate(Contact)
        .scalar_subquery()
    )


def _filtered(
    statement: Select[Conversation, Contact], filters: Filters, user_id: int
) -> Select[Conversation, Contact]:
    if filters.scope is Scope.MINE:
        statement = statement.where(Conversation.assignee_id == user_id)
    elif filters.scope is Scope.UNASSIGNED:
        statement = statement.where(Conversation.assignee_id.is_(None))
    if filters.status is not None:
        statement = statement.where(Conversation.status == filters.status)
    if filters.query:
        text = filters.query
        in_thread = exists().where(
            Message.peer == Contact.number, Message.body.icontains(text, autoescape=True)
        )
        full_name = Contact.first_name + " " + Contact.last_name
        statement = statement.where(
            or_(
                full_name.icontains(text, autoescape=True),
                Contact.number.icontains(text.replace(" ", ""), autoescape=True),
                in_thread,
            )
        )
    return statement


def conversations(
    session: Session, filters: Filters, *, user_id: int, page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """One page of the inbox for ``user_id`` (whose "mine" it is)."""
    base = _filtered(
        select(Conversation, Contact).join(Contact, Contact.id == Conversation.contact_id),
        filters,
        user_id,
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, page), pages)
    statement = (
        base.add_columns(User.display_name, _last("body"), _last("direction"))
        .outerjoin(User, User.id == Conversation.assignee_id)
        .order_by(
            case((Conversation.unread > 0, 0), else_=1),
            Conversation.last_message_at.desc().nulls_last(),
            Conversation.id.desc(),
        )
        .offset((number - 1) * per_page)
        .limit(per_page)
    )
    rows = [
        Row(conversation, contact, assignee, body, direction)
        for conversation, contact, assignee, body, direction in session.execute(statement)
    ]
    return Page(rows, number, pages, total)


def unread_total(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.sum(Conversation.unread), 0))) or 0


def agents(session: Session) -> list[User]:
    """Everyone a conversation can be assigned to."""
    return list(session.scalars(select(User).where(User.active).order_by(User.display_name)))


def close(session: Session, conversation: Conversation, user_id: int, now: datetime) -> None:
    """Close and remember who resolved it when (for resolution-time reports). Commits."""
    set_status(conversation, ConversationStatus.CLOSED)
    mark_read(conversation)
    session.add(Closure(conversation_id=conversation.id, user_id=user_id, closed_at=now))
    session.commit()


def reopen(session: Session, conversation: Conversation) -> None:
    set_status(conversation, ConversationStatus.OPEN)
    session.commit()


def staff(session: Session) -> list[User]:
    """Every account, active or not, for the users page."""
    return list(session.scalars(select(User).order_by(User.username)))
