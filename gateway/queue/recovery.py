"""Crash recovery: node leases, and messages left in ``sending`` by a dead process.

A node renews its lease while it runs. Its ``sending`` rows are its own while the lease
holds; when it restarts, or its lease runs out, they become ``unknown`` (the modem may
have sent them before the process died) and, if ``resend_unknown``, queued again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from gateway.models import Message, Node
from gateway.queue.changes import note_many
from gateway.queue.wakeup import note_work
from gateway.states import MessageState, check_transition

S = MessageState

UNKNOWN_REASON = "outcome unknown: the gateway stopped while sending it"


def renew_lease(session: Session, node: str, now: datetime, lease: timedelta) -> None:
    """Say ``node`` is alive until ``now + lease``; creates its row the first time."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Node).where(Node.name == node).values(heartbeat_at=now, lease_until=now + lease)
    )
    if result.rowcount == 0:
        session.add(Node(name=node, started_at=now, heartbeat_at=now, lease_until=now + lease))
    session.commit()


def drop_lease(session: Session, node: str) -> None:
    """A clean stop: the node holds nothing any more."""
    session.execute(delete(Node).where(Node.name == node))
    session.commit()


def recover_stale(
    session: Session, now: datetime, *, resend_unknown: bool, restarted: str | None = None
) -> list[int]:
    """Turn ``sending`` rows whose owner is gone into ``unknown``, then requeue them if asked.

    Gone: a node whose lease has run out, no owner at all, or ``restarted`` (this node,
    at start-up: nothing it held before is still being sent). Returns the ids recovered.
    """
    check_transition(S.SENDING, S.UNKNOWN)
    alive = select(Node.name).where(Node.lease_until >= now)
    if restarted is not None:
        alive = alive.where(Node.name != restarted)
    stale = session.scalars(
        update(Message)
        .where(
            Message.state == S.SENDING,
            or_(Message.owner.is_(None), Message.owner.not_in(alive)),
        )
        .values(state=S.UNKNOWN, owner=None, last_error=UNKNOWN_REASON, final_at=now)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    ).all()
    note_many(session, list(stale), S.UNKNOWN)
    session.commit()
    if resend_unknown and stale:
        check_transition(S.UNKNOWN, S.QUEUED)
        session.execute(
            update(Message)
            .where(Message.id.in_(stale), Message.state == S.UNKNOWN)
            .values(state=S.QUEUED, final_at=None)
            .execution_options(synchronize_session=False)
        )
        note_work(session)
        note_many(session, list(stale), S.QUEUED)
        session.commit()
    return list(stale)
