"""Delivery reports matched to the part they are about, and the message's outcome.

A modem numbers its submissions with an 8-bit reference that wraps and restarts after
a reset, so a report is matched on (modem, reference, recipient) among the parts sent
within the report window, newest first. A message is delivered when every part is, and
failed as soon as one part is finally not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from gateway.db import execute_core
from gateway.queue.claim import MESSAGES
from gateway.queue.transitions import PARTS, run_guarded
from gateway.states import MessageState

S = MessageState


@dataclass(frozen=True)
class Report:
    """What a status report says, already decoded by the driver."""

    modem: str
    reference: int
    recipient: str  # E.164
    status: int  # TP-ST
    delivered: bool
    final: bool


def apply_status_reports(
    session: Session, reports: Sequence[Report], *, now: datetime, window: timedelta
) -> list[int | None]:
    """Record each report on its part and settle its message, in order, in one
    transaction (commits): a modem that sends fast files a report per message, and a
    commit each cost more than the matching. Returns, per report, the message id or
    ``None`` when no part matches (too old, or not ours)."""
    settled = [_apply(session, report, now=now, window=window) for report in reports]
    session.commit()
    return settled


_p = PARTS.c
# Built once: a busy modem files a report per message, and building these per report
# cost more CPU than the database spent running them.
_MATCHING_PART = (
    select(_p.id)
    .where(
        _p.modem == bindparam("from_modem"),
        _p.reference == bindparam("mr"),
        _p.recipient == bindparam("to"),
        _p.sent_at >= bindparam("since"),
        _p.report_final.is_(False),
    )
    .order_by(_p.sent_at.desc(), _p.id.desc())
    .limit(1)
    .scalar_subquery()
)
_RECORD = (
    update(PARTS)
    .where(_p.id == _MATCHING_PART)
    .values(
        status=bindparam("tp_status"),
        report_final=bindparam("final"),
        delivered_at=bindparam("delivered"),
    )
    .returning(_p.message_id)
)
_m = MESSAGES.c
_NOT_DELIVERED = (
    update(MESSAGES)
    .where(_m.id == bindparam("message_id"), _m.state == S.SENT)
    .values(
        state=S.FAILED,
        last_error=bindparam("error"),
        error_code=bindparam("code"),
        final_at=bindparam("now"),
    )
)
_DELIVERED = (
    update(MESSAGES)
    .where(
        _m.id == bindparam("message_id"),
        _m.state == S.SENT,
        ~exists().where(_p.message_id == _m.id, _p.delivered_at.is_(None)),
    )
    .values(state=S.DELIVERED, final_at=bindparam("now"))
)


def _apply(session: Session, report: Report, *, now: datetime, window: timedelta) -> int | None:
    message_id: int | None = execute_core(
        session,
        _RECORD,
        {
            "from_modem": report.modem,
            "mr": report.reference,
            "to": report.recipient,
            "since": now - window,
            "tp_status": report.status,
            "final": report.final,
            "delivered": now if report.delivered else None,
        },
    ).scalar()
    if message_id is None:
        return None
    if report.final and not report.delivered:
        error = f"not delivered: status report 0x{report.status:02X}"
        params = {"message_id": message_id, "error": error, "code": report.status, "now": now}
        run_guarded(session, _NOT_DELIVERED, params, message_id, S.SENT, S.FAILED)
    elif report.delivered:  # once every part is
        params = {"message_id": message_id, "now": now}
        run_guarded(session, _DELIVERED, params, message_id, S.SENT, S.DELIVERED)
    return message_id
