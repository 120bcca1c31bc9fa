"""Contacts and conversations as the REST API walks them: filtered, in cursor pages.

The web inbox (:mod:`gateway.inbox`) numbers its pages and puts unread threads first,
which suits a person looking at a screen. An API client walks a whole list once, so
these pages are keyed on ids, which never move: nothing is skipped or seen twice when
rows arrive during the walk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from gateway import contacts
from gateway.compliance import gate
from gateway.models import (
    ConsentChannel,
    Contact,
    Conversation,
    ConversationStatus,
    Message,
    NumberKind,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # The id to pass as ``before`` for the next page; None on the last one.
    next_cursor: int | None


def _page(rows: Sequence[T], limit: int, key: Callable[[T], int]) -> Page[T]:
    """The first ``limit`` of ``rows`` (fetched as ``limit + 1`` to learn if more follow)."""
    items = list(rows[:limit])
    return Page(items, key(items[-1]) if len(rows) > limit else None)


ContactRow = tuple[Contact, int | None]  # the contact and its conversation's id


def contacts_page(
    session: Session,
    *,
    limit: int,
    before: int | None = None,
    number: str | None = None,
    opted_out: bool | None = None,
) -> Page[ContactRow]:
    """Contacts newest first, with their conversation ids."""
    statement = (
        select(Contact, Conversation.id)
        .outerjoin(Conversation, Conversation.contact_id == Contact.id)
        .order_by(Contact.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        statement = statement.where(Contact.id < before)
    if number is not None:
        statement = statement.where(Contact.number == number)
    if opted_out is not None:
        statement = statement.where(Contact.opted_out == opted_out)
    rows = [(contact, conversation) for contact, conversation in session.execute(statement)]
    return _page(rows, limit, lambda row: row[0].id)


@dataclass(frozen=True)
class ConversationFilters:
    status: ConversationStatus | None = None
    assignee: int | None = None
    unassigned: bool = False
    unread: bool | None = None

    def apply(self, statement: Select[Conversation, Contact]) -> Select[Conversation, Contact]:
        if self.status is not None:
            statement = statement.where(Conversation.status == self.status)
        if self.unassigned:
            statement = statement.where(Conversation.assignee_id.is_(None))
        elif self.assignee is not None:
            statement = statement.where(Conversation.assignee_id == self.assignee)
        if self.unread is True:
            statement = statement.where(Conversation.unread > 0)
        elif self.unread is False:
            statement = statement.where(Conversation.unread == 0)
        return statement


def conversations_page(
    session: Session, filters: ConversationFilters, *, limit: int, before: int | None = None
) -> Page[tuple[Conversation, Contact]]:
    """Conversations newest first, each with its contact."""
    statement = filters.apply(
        select(Conversation, Contact)
        .join(Contact, Contact.id == Conversation.contact_id)
        .order_by(Conversation.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        statement = statement.where(Conversation.id < before)
    rows = [(conversation, contact) for conversation, contact in session.execute(statement)]
    return _page(rows, limit, lambda row: row[0].id)


def thread_page(
    session: Session, number: str, *, limit: int, before: int | None = None
) -> Page[Message]:
    """The latest ``limit`` messages with ``number`` older than ``before``, oldest first.

    A thread is read from its end, so the cursor leads back in time: ``next_cursor`` is
    the oldest message shown, and the page before it holds the ones written earlier.
    """
    statement = (
        select(Message).where(Message.peer == number).order_by(Message.id.desc()).limit(limit + 1)
    )
    if before is not None:
        statement = statement.where(Message.id < before)
    newest_first = session.scalars(statement).all()
    page = _page(newest_first, limit, lambda message: message.id)
    return Page(page.items[::-1], page.next_cursor)


def create_contact(session: Session, number: str, now: datetime) -> tuple[Contact, bool]:
    """The contact for E.164 ``number``, created (flushed) unless it exists: (contact, new)."""
    return contacts.get_or_create(session, contacts.Sender(number, NumberKind.E164), now)


def set_opted_out(
    session: Session, contact: Contact, opted_out: bool, now: datetime, *, detail: str
) -> bool:
    """Opt the contact out (withdrawing what waits for them) or back in, as the API.

    Not committed. Raises :class:`gateway.contacts.ConsentLocked` when the contact
    opted out by text. ``True`` when it changed anything.
    """
    if not opted_out:
        return contacts.opt_in(session, contact, ConsentChannel.API, now, detail=detail)
    changed = contacts.opt_out(session, contact, ConsentChannel.API, now, detail=detail)
    if changed:
        gate.suppress_pending(session, contact.number, now, "opted out")
    return changed
