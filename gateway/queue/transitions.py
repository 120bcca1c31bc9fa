"""Every state change of an outbound message: one guarded update, committed at once.

``UPDATE messages SET state = :new ... WHERE id = :id AND state = :old`` succeeds for
exactly one writer, so two workers (or two nodes) can never both act on a row; a
``False`` return means someone else moved it first and the caller must let it go.
A row leaves ``sending`` only by the hand of the node that owns it (``AND owner =
:node``): a node cut off from the database past its lease, whose rows another node
has since recovered and perhaps claimed, finds its late outcomes refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, Table, bindparam, delete, insert, update
from sqlalchemy.orm import Session

from gateway.db import execute_core
from gateway.models import Message, MessagePart
from gateway.queue.changes import note
from gateway.queue.claim import MESSAGES
from gateway.queue.retry import Backoff
from gateway.queue.wakeup import note_message
from gateway.states import MessageState, check_transition, sources_of

S = MessageState


def guarded_update(
    session: Session,
    message_id: int,
    old: MessageState,
    new: MessageState,
    *,
    held_by: str | None = None,
    **values: Any,
) -> bool:
    """Move one message from ``old`` to ``new`` (not committed: the callers add to it);
    with ``held_by``, only while that node owns it."""
    statement = (
        update(MESSAGES)
        .where(MESSAGES.c.id == message_id, MESSAGES.c.state == old)
        .values(state=new, **values)
    )
    if held_by is not None:
        statement = statement.where(MESSAGES.c.owner == held_by)
    if session.autoflush:  # as the ORM would: objects changed in Python are written first
        session.flush()
    return run_guarded(session, statement, {}, message_id, old, new)


def run_guarded(
    session: Session,
    statement: Executable,
    params: dict[str, Any],
    message_id: int,
    old: MessageState,
    new: MessageState,
) -> bool:
    """Run ``statement``, whose WHERE holds the message's id and ``state = old``; whether
    it moved the message to ``new``. Paths that run per message all day pass a statement
    built once."""
    check_transition(old, new)
    if execute_core(session, statement, params).rowcount != 1:
        return False
    note(session, message_id, new)
    return True


def move(
    session: Session,
    message_id: int,
    old: MessageState,
    new: MessageState,
    *,
    held_by: str | None = None,
    **values: Any,
) -> bool:
    """:func:`guarded_update` and commit; ``True`` when this caller made the change."""
    moved = guarded_update(session, message_id, old, new, held_by=held_by, **values)
    session.commit()
    return moved


PARTS = cast(Table, MessagePart.__table__)
# Built once: the send path records every message, and building these per call cost
# more CPU than the database spent running them.
_SENT = (
    update(MESSAGES)
    .where(
        MESSAGES.c.id == bindparam("message_id"),
        MESSAGES.c.state == S.SENDING,
        MESSAGES.c.owner == bindparam("node"),
    )
    .values(state=S.SENT, sent_at=bindparam("now"), owner=None, sent_modem=bindparam("sender"))
)
_FORGET_PARTS = delete(PARTS).where(PARTS.c.message_id == bindparam("message_id"))
_ADD_PART = insert(PARTS)


def record_sent(
    session: Session,
    message_id: int,
    *,
    node: str,
    modem: str,
    recipient: str,
    references: Sequence[int],
    now: datetime,
    first_attempt: bool = False,
) -> bool:
    """:func:`mark_sent` without the commit, for callers that add to the transaction.

    ``first_attempt`` says no earlier attempt can have left parts behind.
    """
    params = {"message_id": message_id, "now": now, "sender": modem, "node": node}
    if not run_guarded(session, _SENT, params, message_id, S.SENDING, S.SENT):
        return False
    if not first_attempt:
        # A resend after an unknown outcome replaces the parts of the earlier attempt.
        execute_core(session, _FORGET_PARTS, {"message_id": message_id})
    execute_core(
        session,
        _ADD_PART,
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
                "status": None,
                "delivered_at": None,
            }
            for number, reference in enumerate(references, start=1)
        ],
    )
    return True


def mark_sent(
    session: Session,
    message_id: int,
    *,
    node: str,
    modem: str,
    recipient: str,
    references: Sequence[int],
    now: datetime,
) -> bool:
    """The network took every part; remember each part's reference for its report."""
    moved = record_sent(
        session,
        message_id,
        node=node,
        modem=modem,
        recipient=recipient,
        references=references,
        now=now,
    )
    session.commit()
    return moved


def mark_failed(
    session: Session, message_id: int, *, node: str, error: str, code: int | None, now: datetime
) -> bool:
    """A permanent error: this message will never go out as it is."""
    return move(
        session,
        message_id,
        S.SENDING,
        S.FAILED,
        held_by=node,
        last_error=error,
        error_code=code,
        final_at=now,
        owner=None,
    )


def mark_retry(
    session: Session,
    message_id: int,
    *,
    node: str,
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
            node=node,
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
        held_by=node,
        last_error=error,
        error_code=code,
        next_attempt_at=now + backoff.delay(attempts),
        owner=None,
    )
    return S.RETRY_WAIT if moved else None


def mark_unknown(
    session: Session,
    message_id: int,
    *,
    node: str,
    attempts: int,
    error: str,
    resend: bool,
    backoff: Backoff,
    now: datetime,
) -> MessageState | None:
    """The modem had the message when its answer failed to come: it may have gone out.

    Like a crash mid-send (``recover_stale``), the row says ``unknown``; with ``resend``
    (the config's ``resend_unknown``) it is queued again at once, on any modem, unless
    its attempts are used up. Returns the state it ended in, ``None`` if taken over.
    """
    if not guarded_update(
        session,
        message_id,
        S.SENDING,
        S.UNKNOWN,
        held_by=node,
        last_error=f"outcome unknown: {error}",
        final_at=now,
        owner=None,
    ):
        session.commit()
        return None
    if resend and not backoff.exhausted(attempts):
        guarded_update(session, message_id, S.UNKNOWN, S.QUEUED, final_at=None)
        note_message(session, None)
        session.commit()
        return S.QUEUED
    session.commit()
    return S.UNKNOWN


def defer(session: Session, message_id: int, *, node: str, until: datetime, reason: str) -> bool:
    """Put a claimed message back as ``scheduled`` for ``until`` (not committed): it was
    not tried, so the attempt is not counted."""
    return guarded_update(
        session,
        message_id,
        S.SENDING,
        S.SCHEDULED,
        held_by=node,
        scheduled_at=until,
        attempts=Message.attempts - 1,
        owner=None,
        last_error=reason,
    )


def release(session: Session, message_id: int, *, node: str, error: str) -> bool:
    """Hand a claimed message back untouched: its modem could not even try to send it."""
    return move(
        session,
        message_id,
        S.SENDING,
        S.QUEUED,
        held_by=node,
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
    cancelled = result.rowcount == 1
    if cancelled:
        note(session, message_id, S.CANCELLED)
    session.commit()
    return cancelled
