"""Which message a modem sends next, taken in one guarded statement.

``UPDATE ... WHERE id = (SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED) AND state = 'queued'
RETURNING ...``: on PostgreSQL concurrent workers skip each other's rows instead of
waiting; on SQLite the statement is a write from its first step, so it queues on the
busy timeout rather than failing on a stale read snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from gateway.models import Message, ModemRecord
from gateway.states import MessageState

S = MessageState


@dataclass(frozen=True)
class Claim:
    """A message this worker now owns in ``sending``."""

    id: int
    peer: str
    body: str
    segments: int
    attempts: int  # including the one about to be made
    modem: str | None  # the modem asked for, when one was


def claim_next(
    session: Session, modem: str, now: datetime, *, node: str, takeover_after: timedelta
) -> Claim | None:
    """Claim the best queued message ``modem`` may send, or ``None`` when there is none.

    Best: lowest priority number, then oldest. A message that asks for another modem is
    left to it unless that modem has been down longer than ``takeover_after`` (or is not
    known at all, e.g. removed from the configuration).
    """
    holding = select(ModemRecord.name).where(
        or_(ModemRecord.down_since.is_(None), ModemRecord.down_since > now - takeover_after)
    )
    candidate = (
        select(Message.id)
        .where(
            Message.state == S.QUEUED,
            or_(Message.modem.is_(None), Message.modem == modem, Message.modem.not_in(holding)),
        )
        .order_by(Message.priority, Message.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = session.execute(
        update(Message)
        .where(Message.id == candidate, Message.state == S.QUEUED)
        .values(
            state=S.SENDING,
            owner=node,
            claimed_at=now,
            attempts=Message.attempts + 1,
        )
        .returning(
            Message.id,
            Message.peer,
            Message.body,
            Message.segments,
            Message.attempts,
            Message.modem,
        )
        .execution_options(synchronize_session=False)
    ).first()
    session.commit()
    if row is None:
        return None
    return Claim(*row)
