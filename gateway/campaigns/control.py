"""Scheduling, pausing, resuming and cancelling a campaign, and its test send.

Pausing withdraws the campaign's messages still waiting (``scheduled`` or ``queued``)
by cancelling them with the reason "campaign paused", in one guarded update (a row a
worker already took is on the wire and goes). Resuming puts a new message in the queue
for each of them, through the gate again (someone may have opted out meanwhile), spread
by the throughput limit from now, and marks the withdrawn rows as sent again so stats
do not count them twice. A run stopped half-way by the pause continues from its cursor.
Cancelling withdraws the waiting messages for good and stops the schedule.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from gateway import contacts, segments, templating
from gateway.campaigns import store, timing
from gateway.campaigns.run import new_message, spacing, store_batch
from gateway.errors import ValidationError
from gateway.models import (
    Campaign,
    CampaignRun,
    CampaignStatus,
    Contact,
    Kind,
    Message,
    MessageMeta,
    RunState,
)
from gateway.queue.enqueue import enqueue
from gateway.queue.numbers import normalise_number
from gateway.states import MessageState

S = MessageState
PAUSED = "campaign paused"
RESUMED = "campaign paused; sent again on resume"
CANCELLED = "campaign cancelled"
WAITING = (S.SCHEDULED, S.QUEUED)


C = CampaignStatus
#: Which statuses each action applies to: checked here, offered by the UI from the same table.
ALLOWED: dict[str, tuple[CampaignStatus, ...]] = {
    "schedule": (C.DRAFT,),
    "pause": (C.ACTIVE, C.FINISHED),
    "resume": (C.PAUSED,),
    "cancel": (C.DRAFT, C.ACTIVE, C.PAUSED, C.FINISHED),
}


def actions(campaign: Campaign, waiting: int) -> list[str]:
    """What is worth doing to ``campaign`` now, in the order of :data:`ALLOWED`; a finished
    campaign with no message ``waiting`` has nothing left to pause or cancel."""
    if campaign.status == C.FINISHED and not waiting:
        return []
    return [action for action, allowed in ALLOWED.items() if campaign.status in allowed]


def phase(campaign: Campaign, waiting: int) -> str:
    """The word the UI shows for ``campaign``: its status, except that a one-off whose
    run has fired is "sending" while any of its messages still waits to go out (its
    status is already ``finished``: nothing more will be created)."""
    if campaign.status == C.FINISHED and waiting:
        return "sending"
    return str(campaign.status)


def _require(campaign: Campaign, action: str) -> None:
    if campaign.status not in ALLOWED[action]:
        raise ValidationError(f"the campaign is {campaign.status}", field="status")


def schedule(session: Session, campaign_id: int, now: datetime) -> Campaign:
    """Start a draft's schedule (commits): ``next_run_at`` is when it fires first."""
    campaign = store.get(session, campaign_id)
    _require(campaign, "schedule")
    campaign.next_run_at = timing.first_run(campaign, now)
    campaign.checked_until = now
    campaign.status = CampaignStatus.ACTIVE
    session.commit()
    return campaign


def _withdraw(session: Session, campaign: Campaign, reason: str, now: datetime) -> int:
    ids = select(MessageMeta.message_id).where(MessageMeta.campaign == campaign.name)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(Message)
        .where(Message.id.in_(ids), Message.state.in_(WAITING))
        .values(state=S.CANCELLED, last_error=reason, final_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def pause(session: Session, campaign_id: int, now: datetime) -> int:
    """Hold the schedule and withdraw what is waiting (commits); returns how many."""
    campaign = store.get(session, campaign_id)
    _require(campaign, "pause")
    campaign.status = CampaignStatus.PAUSED
    withdrawn = _withdraw(session, campaign, PAUSED, now)
    session.commit()
    return withdrawn


def resume(session: Session, campaign_id: int, now: datetime, *, batch: int = 1000) -> int:
    """Queue again what the pause withdrew and restart the schedule (commits batches)."""
    campaign = store.get(session, campaign_id)
    _require(campaign, "resume")
    gap = spacing(campaign)
    resent = 0
    last = 0
    while True:
        held = session.execute(
            select(Message.id, Message.peer, Message.body)
            .join(MessageMeta, MessageMeta.message_id == Message.id)
            .where(
                MessageMeta.campaign == campaign.name,
                Message.state == S.CANCELLED,
                Message.last_error == PAUSED,
                Message.id > last,
            )
            .order_by(Message.id)
            .limit(batch)
        ).all()
        if not held:
            break
        last = held[-1].id
        messages = [
            new_message(row.body, row.peer, now, now + gap * (resent + i) if gap else None)
            for i, row in enumerate(held)
        ]
        store_batch(session, campaign.name, messages)
        session.execute(
            update(Message)
            .where(Message.id.in_([row.id for row in held]))
            .values(last_error=RESUMED)
            .execution_options(synchronize_session=False)
        )
        resent += len(messages)
        session.commit()
    finished = campaign.next_run_at is None and not session.scalar(
        select(CampaignRun.id).where(
            CampaignRun.campaign_id == campaign.id, CampaignRun.state == RunState.PENDING
        )
    )
    campaign.status = CampaignStatus.FINISHED if finished else CampaignStatus.ACTIVE
    session.commit()
    return resent


def cancel(session: Session, campaign_id: int, now: datetime) -> int:
    """Stop for good: no more runs, waiting messages withdrawn (commits); returns how many."""
    campaign = store.get(session, campaign_id)
    _require(campaign, "cancel")
    campaign.status = CampaignStatus.CANCELLED
    campaign.next_run_at = None
    session.execute(
        update(CampaignRun)
        .where(CampaignRun.campaign_id == campaign.id, CampaignRun.state == RunState.PENDING)
        .values(state=RunState.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    withdrawn = _withdraw(session, campaign, CANCELLED, now)
    # The pause's withdrawals will not come back either.
    session.execute(
        update(Message)
        .where(
            Message.id.in_(
                select(MessageMeta.message_id).where(MessageMeta.campaign == campaign.name)
            ),
            Message.last_error == PAUSED,
        )
        .values(last_error=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return withdrawn


def preview(session: Session, campaign: Campaign, contact: Contact | None) -> str:
    """The campaign's text as ``contact`` (or a contact with no details) would receive it."""
    template = store.template_of(campaign)
    return template.render(contact or Contact(number="", first_name="", last_name="", fields={}))


def test_send(
    session: Session, campaign_id: int, number: str, *, region: str, now: datetime
) -> Message:
    """Send the campaign's text to one number now, filled in for its contact if there is one.

    It goes as a transactional message (a person is waiting to see it) and is not part of
    the campaign's stats, but still passes the gate: an opted-out number gets nothing.
    """
    campaign = store.get(session, campaign_id)
    peer = normalise_number(number, region, field="number")
    text = preview(session, campaign, contacts.find(session, peer))
    return enqueue(session, peer, text, kind=Kind.TRANSACTIONAL, region=region, now=now)


def measure(session: Session, campaign: Campaign, now: datetime) -> templating.AudienceSize:
    """Parts per recipient across the campaign's audience, streamed."""
    spec = segments.filter_of(session, campaign.segment_id)
    return templating.measure(store.template_of(campaign), segments.stream(session, spec, now))
