"""``/conversations``: the shared inbox for API clients: list, read a thread, reply.

An API key is not a user, so it can never hold a conversation's claim: while a person
holds one, a reply through the API is refused with 409 ``conversation_claimed`` rather
than cutting across the answer they are writing. Replies go through the queue's
``enqueue`` like every send, so the compliance gate decides them: to someone who opted
out the reply is stored ``suppressed`` (with the reason in ``error``) and never sent.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import current_app, request, url_for
from sqlalchemy.orm import Session

from gateway import conversations, directory
from gateway.apikeys import Scope
from gateway.config import Config
from gateway.errors import NotFound, ValidationError
from gateway.models import Contact, Conversation, ConversationStatus, utcnow
from gateway.webhooks.payloads import iso_time, message_payload
from web.api import body
from web.api.blueprint import bp
from web.api.contacts import contact_payload
from web.api.idempotency import idempotent
from web.api.keys import require
from web.api.messages import (
    MAX_BODY_CHARACTERS,
    MAX_ID,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    decode_cursor,
)
from web.db import get_session

# User ids start at 1, so replying as user 0 means "as nobody": any live claim blocks it.
NOBODY = 0
UNASSIGNED = "none"
ASSIGNEE = re.compile(rf"[0-9]{{1,10}}|{UNASSIGNED}")


def conversation_payload(
    conversation: Conversation, contact: Contact, now: datetime
) -> dict[str, Any]:
    claimed = conversation.claimed_until is not None and conversation.claimed_until > now
    return {
        "id": conversation.id,
        "status": conversation.status,
        "contact": contact_payload(contact, conversation.id),
        "assignee_id": conversation.assignee_id,
        "claimed_by": conversation.claimed_by if claimed else None,
        "claimed_until": iso_time(conversation.claimed_until) if claimed else None,
        "unread": conversation.unread,
        "last_message_at": iso_time(conversation.last_message_at),
        "created_at": iso_time(conversation.created_at),
    }


def _conversation(session: Session, conversation_id: int) -> Conversation:
    if conversation_id > MAX_ID:
        raise NotFound(f"no conversation {conversation_id}")
    return conversations.get(session, conversation_id)


def _cursor() -> int | None:
    cursor = request.args.get("cursor")
    return None if cursor is None else decode_cursor(cursor)


def _limit() -> int:
    return body.query_int("limit", default=PAGE_SIZE, low=1, high=MAX_PAGE_SIZE)


def _filters() -> directory.ConversationFilters:
    status = body.query_choice("status", frozenset(ConversationStatus))
    assignee = request.args.get("assignee")
    if assignee is not None and (
        not ASSIGNEE.fullmatch(assignee) or (assignee != UNASSIGNED and int(assignee) > MAX_ID)
    ):
        raise ValidationError(
            f"assignee: a user id, or {UNASSIGNED!r} for unassigned", field="assignee"
        )
    unread = body.query_choice("unread", frozenset({"true", "false"}))
    return directory.ConversationFilters(
        status=None if status is None else ConversationStatus(status),
        assignee=None if assignee in (None, UNASSIGNED) else int(assignee),
        unassigned=assignee == UNASSIGNED,
        unread=None if unread is None else unread == "true",
    )


@bp.get("/conversations")
@require(Scope.READ)
def list_conversations() -> dict[str, Any]:
    """Newest conversation first; ``next_cursor`` fetches the page after this one."""
    now = utcnow()
    page = directory.conversations_page(get_session(), _filters(), limit=_limit(), before=_cursor())
    return {
        "data": [conversation_payload(c, contact, now) for c, contact in page.items],
        "next_cursor": None if page.next_cursor is None else str(page.next_cursor),
    }


@bp.get("/conversations/<int:conversation_id>")
@require(Scope.READ)
def get_conversation(conversation_id: int) -> dict[str, Any]:
    """The conversation with its latest messages, oldest first; the cursor goes back."""
    session = get_session()
    conversation = _conversation(session, conversation_id)
    contact = conversations.contact_of(session, conversation)
    page = directory.thread_page(session, contact.number, limit=_limit(), before=_cursor())
    return {
        **conversation_payload(conversation, contact, utcnow()),
        "messages": {
            "data": [message_payload(message) for message in page.items],
            "next_cursor": None if page.next_cursor is None else str(page.next_cursor),
        },
    }


@bp.post("/conversations/<int:conversation_id>/messages")
@require(Scope.SEND)
@idempotent
def reply(conversation_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    config: Config = current_app.extensions["cellgate.config"]
    data = body.json_object(frozenset({"body"}))
    text = body.required_text(data, "body", max_length=MAX_BODY_CHARACTERS)
    session = get_session()
    message = conversations.reply(
        session,
        _conversation(session, conversation_id),
        text,
        user_id=NOBODY,
        region=config.gateway.default_region,
        now=utcnow(),
    )
    location = url_for("api.get_message", message_id=message.id)
    return message_payload(message), 202, {"Location": location}
