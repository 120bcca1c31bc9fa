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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.models import MessagePart
from gateway.queue.transitions import guarded_update
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


def _apply(session: Session, report: Report, *, now: datetime, window: timedelta) -> int | None:
    part = session.scalars(
        select(MessagePart)
        .where(
            MessagePart.modem == report.modem,
            MessagePart.reference == report.reference,
            MessagePart.recipient == report.recipient,
            MessagePart.sent_at >= now - window,
            MessagePart.report_final.is_(False),
        )
        .order_by(MessagePart.sent_at.desc(), MessagePart.id.desc())
        .limit(1)
    ).first()
    if part is None:
        return None
    session.execute(
        update(MessagePart)
        .where(MessagePart.id == part.id)
        .values(
            status=report.status,
            report_final=report.final,
            delivered_at=now if report.delivered else None,
        )
        .execution_options(synchronize_session=False)
    )
    if report.final and not report.delivered:
        guarded_update(
            session,
            part.message_id,
            S.SENT,
            S.FAILED,
            last_error=f"not delivered: status report 0x{report.status:02X}",
            error_code=report.status,
            final_at=now,
        )
    elif report.delivered:
        siblings = session.scalars(
            select(MessagePart.delivered_at).where(MessagePart.message_id == part.message_id)
        ).all()
        if all(siblings):
            guarded_update(session, part.message_id, S.SENT, S.DELIVERED, final_at=now)
    return part.message_id
