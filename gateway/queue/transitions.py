"""Every state change of an outbound message: one guarded update, committed at once.

``UPDATE messages SET state = :new ... WHERE id = :id AND state = :old`` succeeds for
exactly one writer, so two workers (or two nodes) can never both act on a row; a
``False`` return means someone else moved it first and the caller must let it go.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, insert, update
from sqlalchemy.orm import Session

from gateway.models import Message, MessagePart
from gateway.queue.retry import Backoff
from gateway.states import MessageState, check_transition, sources_of

S = MessageState


def guarded_update(
    session: Session, message_id: int, old: MessageState, new: MessageState, **values: Any
) -> bool:
    """Move one message from ``old`` to ``new`` (not committed: the callers add to it)."""
    check_transition(old, new)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Message)
        .where(Message.id == message_id, Message.state == old)
        .values(state=new, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def move(
    session: Session, message_id: int, old: MessageState, new: MessageState, **values: Any
) -> bool:
    """:func:`guarded_update` and commit; ``True`` when this caller made the change."""
    moved = guarded_update(session, message_id, old, new, **values)
    session.commit()
    return moved


def mark_sent(
    session: Session,
    message_id: int,
    *,
    modem: str,
    recipient: str,
    references: Sequence[int],
    now: datetime,
) -> bool:
    """The network took every part; remember each part's reference for its report."""
    moved = guarded_update(
        session, message_id, S.SENDING, S.SENT, sent_at=now, owner=None, sent_modem=modem
    )
    if moved:
        # A resend after an unknown outcome replaces the parts of the earlier attempt.
        session.execute(delete(MessagePart).where(MessagePart.message_id == message_id))
        session.execute(
            insert(MessagePart),
            [
                {
                    "message_id": message_id,
                    "part": number,
                    "total": len(references),
                    "modem": modem,
                    "reference": reference,
                    "recipient": recipient,
                    "sent_at": now,
                    "report_final": False,
                }
                for number, reference in enumerate(references, start=1)
            ],
        )
    session.commit()
    return moved


def mark_failed(
    session: Session, message_id: int, *, error: str, code: int | None, now: datetime
) -> bool:
    """A permanent error: this message will never go out as it is."""
    return move(
        session,
        message_id,
        S.SENDING,
        S.FAILED,
        last_error=error,
        error_code=code,
        final_at=now,
        owner=None,
    )


def mark_retry(
    session: Session,
    message_id: int,
    *,
    attempts: int,
    error: str,
    code: int | None,
    backoff: Backoff,
    now: datetime,
) -> MessageState | None:
    """A transient error: wait and try again, or fail once the attempts are used up.

    Returns the state the message went to, ``None`` if another owner had taken it.
    """
    if backoff.exhausted(attempts):
        failed = mark_failed(
            session,
            message_id,
            error=f"gave up after {attempts} attempts: {error}",
            code=code,
            now=now,
        )
        return S.FAILED if failed else None
    moved = move(
        session,
        message_id,
        S.SENDING,
        S.RETRY_WAIT,
        last_error=error,
        error_code=code,
        next_attempt_at=now + backoff.delay(attempts),
        owner=None,
    )
    return S.RETRY_WAIT if moved else None


def release(session: Session, message_id: int, *, error: str) -> bool:
    """Hand a claimed message back untouched: its modem could not even try to send it."""
    return move(
        session,
        message_id,
        S.SENDING,
        S.QUEUED,
        attempts=Message.attempts - 1,
        owner=None,
        last_error=error,
    )


def cancel(session: Session, message_id: int, *, now: datetime) -> bool:
    """Withdraw a message that has not gone out; ``False`` when it is too late."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Message)
        .where(Message.id == message_id, Message.state.in_(sources_of(S.CANCELLED)))
        .values(state=S.CANCELLED, final_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1
