"""Which message a modem sends next, taken in one guarded statement.

``UPDATE ... WHERE id = (SELECT ... LIMIT 1 FOR UPDATE SKIP LOCKED) AND state = 'queued'
RETURNING ...``: on PostgreSQL concurrent workers skip each other's rows instead of
waiting; on SQLite the statement is a write from its first step, so it queues on the
busy timeout rather than failing on a stale read snapshot.

The statement is built once with bound parameters: building it per claim cost more CPU
than running it, and a gateway on a Raspberry Pi claims all day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from gateway.db import execute_core
from gateway.models import Message, ModemRecord
from gateway.queue.changes import note
from gateway.states import MessageState

S = MessageState

MESSAGES = cast(Table, Message.__table__)
_MODEMS = cast(Table, ModemRecord.__table__)
_m = MESSAGES.c

# Modems that still hold on to the messages asked of them: up, or down for a short while.
_HOLDING = select(_MODEMS.c.name).where(
    or_(_MODEMS.c.down_since.is_(None), _MODEMS.c.down_since > bindparam("held_since"))
)
_CANDIDATE = (
    select(_m.id)
    .where(
        _m.state == S.QUEUED,
        or_(_m.modem.is_(None), _m.modem == bindparam("asker"), _m.modem.not_in(_HOLDING)),
    )
    .order_by(_m.priority, _m.id)
    .limit(1)
    .with_for_update(skip_locked=True)
    .scalar_subquery()
)
CLAIM = (
    update(MESSAGES)
    .where(_m.id == _CANDIDATE, _m.state == S.QUEUED)
    .values(
        state=S.SENDING,
        owner=bindparam("node"),
        claimed_at=bindparam("now"),
        attempts=_m.attempts + 1,
    )
    .returning(_m.id, _m.peer, _m.body, _m.segments, _m.attempts, _m.modem, _m.kind, _m.claimed_at)
)
_STILL_CLAIMED = select(_m.id).where(
    _m.id == bindparam("message_id"),
    _m.state == S.SENDING,
    _m.owner == bindparam("node"),
    _m.claimed_at == bindparam("claimed_at"),
)


@dataclass(frozen=True)
class Claim:
    """A message this worker now owns in ``sending``."""

    id: int
    peer: str
    body: str
    segments: int
    attempts: int  # including the one about to be made
    modem: str | None  # the modem asked for, when one was
    kind: str  # gateway.models.Kind
    claimed_at: datetime


def take_next(
    session: Session, modem: str, now: datetime, *, node: str, takeover_after: timedelta
) -> Claim | None:
    """:func:`claim_next` without the commit, for callers that add to the transaction."""
    row = execute_core(
        session,
        CLAIM,
        {"asker": modem, "node": node, "now": now, "held_since": now - takeover_after},
    ).first()
    if row is None:
        return None
    claim = Claim(*row)
    note(session, claim.id, S.SENDING)
    return claim


def still_claimed(session: Session, claim: Claim, *, node: str) -> bool:
    """Whether ``claim`` is on record as this node's: it is, when the transaction that
    made it committed though its caller was told otherwise (a commit whose answer was
    lost), and nothing has moved the message since."""
    found = execute_core(
        session,
        _STILL_CLAIMED,
        {"message_id": claim.id, "node": node, "claimed_at": claim.claimed_at},
    ).first()
    return found is not None


def claim_next(
    session: Session, modem: str, now: datetime, *, node: str, takeover_after: timedelta
) -> Claim | None:
    """Claim the best queued message ``modem`` may send, or ``None`` when there is none.

    Best: lowest priority number, then oldest. A message that asks for another modem is
    left to it unless that modem has been down longer than ``takeover_after`` (or is not
    known at all, e.g. removed from the configuration).
    """
    claim = take_next(session, modem, now, node=node, takeover_after=takeover_after)
    session.commit()
    return claim
