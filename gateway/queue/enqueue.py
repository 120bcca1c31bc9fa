"""Putting messages on the queue, and making scheduled and retried ones due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from drivers.errors import PduError
from drivers.pdu import segments
from gateway.errors import ValidationError
from gateway.models import PRIORITY, Direction, Kind, Message
from gateway.queue.numbers import normalise_number
from gateway.queue.wakeup import note_message, note_work
from gateway.states import MessageState

S = MessageState


def sticky_modem(session: Session, peer: str) -> str | None:
    """The SIM this contact last talked to, so a conversation keeps one number."""
    return session.scalars(
        select(Message.sent_modem)
        .where(Message.peer == peer, Message.sent_modem.is_not(None))
        .order_by(Message.id.desc())
        .limit(1)
    ).first()


def enqueue(
    session: Session,
    to: str,
    body: str,
    *,
    kind: Kind = Kind.TRANSACTIONAL,
    region: str,
    now: datetime,
    send_at: datetime | None = None,
    modem: str | None = None,
    priority: int | None = None,
) -> Message:
    """Validate and store one outbound message, queued or scheduled, and commit it.

    Conversation replies without an explicit ``modem`` go to the contact's last SIM.
    Raises :class:`ValidationError` (field ``to`` or ``body``) for what cannot be sent.
    """
    peer = normalise_number(to, region)
    if not body:
        raise ValidationError("the message is empty", field="body")
    try:
        counted = segments(body)
    except PduError as exc:
        raise ValidationError(str(exc), field="body") from None
    if modem is None and kind is Kind.CONVERSATION:
        modem = sticky_modem(session, peer)
    later = send_at is not None and send_at > now
    message = Message(
        direction=Direction.OUT,
        state=S.SCHEDULED if later else S.QUEUED,
        kind=kind,
        priority=PRIORITY[kind] if priority is None else priority,
        peer=peer,
        body=body,
        encoding=counted.encoding,
        segments=counted.parts,
        modem=modem,
        created_at=now,
        scheduled_at=send_at,
        attempts=0,
    )
    session.add(message)
    if not later:
        note_message(session, modem)
    session.commit()
    return message


def enqueue_due(session: Session, now: datetime) -> int:
    """Queue every scheduled message whose time has come and every retry that is due.

    One guarded update for all of them; returns how many moved.
    """
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Message)
        .where(
            or_(
                and_(Message.state == S.SCHEDULED, Message.scheduled_at <= now),
                and_(Message.state == S.RETRY_WAIT, Message.next_attempt_at <= now),
            )
        )
        .values(state=S.QUEUED)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        note_work(session)
    session.commit()
    return result.rowcount
