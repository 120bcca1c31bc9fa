"""Firing campaigns and materialising their runs: the campaign side of "the database is the queue".

:func:`fire_due` turns each campaign whose ``next_run_at`` has come into a
:class:`CampaignRun` row and moves ``next_run_at`` on, with one guarded update per
campaign so two nodes cannot both fire it. :func:`materialise` then turns a pending run
into outbound messages, one batch of contacts per transaction: each message is added
through the ORM, so the compliance gate decides it in the flush (opted out ->
suppressed, quiet hours -> scheduled later, cap -> suppressed), and the run's cursor
moves in the same commit, so a crash resumes after the last committed batch. The
per-campaign throughput limit is applied by giving successive recipients
``scheduled_at`` times ``60 / per_minute`` seconds apart; ``enqueue_due`` releases them.

Misfire policy: a one-off or recurring run whose moment passed more than
``[campaigns] misfire_grace_minutes`` ago (the gateway was down) is recorded as
``missed`` and not sent; a recurring campaign then continues with its next time after
now, so several missed firings never pile up into several runs. Within the grace the run
is sent late, once. A relative campaign checks a window of contact moments each minute;
after downtime it sends only to contacts whose moment is within the grace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from drivers.errors import PduError
from drivers.pdu import segments as count_segments
from gateway import contact_fields, segments
from gateway.campaigns import store, timing
from gateway.errors import ValidationError
from gateway.models import (
    PRIORITY,
    Campaign,
    CampaignRun,
    CampaignStatus,
    Contact,
    Direction,
    Kind,
    Message,
    MessageMeta,
    RunState,
    ScheduleKind,
)
from gateway.queue.wakeup import note_work
from gateway.states import MessageState

log = logging.getLogger(__name__)

S = MessageState


def fire_due(session: Session, now: datetime, *, grace: timedelta) -> list[int]:
    """Record a run for every active campaign that is due; returns the new runs' ids."""
    # populate_existing: the claim below is a Core update, so a Campaign this session
    # already holds would otherwise keep the next_run_at of the run before and never
    # match again.
    due = session.scalars(
        select(Campaign)
        .where(Campaign.status == CampaignStatus.ACTIVE, Campaign.next_run_at <= now)
        .execution_options(populate_existing=True)
    ).all()
    fired: list[CampaignRun] = []
    for campaign in due:
        moment = campaign.next_run_at
        assert moment is not None
        relative = campaign.schedule == ScheduleKind.RELATIVE
        following = timing.after_run(campaign, max(now, moment))
        values: dict[str, Any] = {
            "next_run_at": following,
            "status": CampaignStatus.ACTIVE if following else CampaignStatus.FINISHED,
        }
        if relative:
            values["checked_until"] = now
        claimed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Campaign)
            .where(
                Campaign.id == campaign.id,
                Campaign.next_run_at == moment,
                Campaign.status == CampaignStatus.ACTIVE,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue  # another node fired it
        if relative:
            run = CampaignRun(
                campaign_id=campaign.id, run_at=now, window_start=campaign.checked_until
            )
        elif timing.misfired(moment, now, grace):
            log.warning("campaign %r missed its run at %s: skipped", campaign.name, moment)
            run = CampaignRun(
                campaign_id=campaign.id, run_at=moment, state=RunState.MISSED, finished_at=now
            )
        else:
            run = CampaignRun(campaign_id=campaign.id, run_at=moment)
        session.add(run)
        fired.append(run)
    session.commit()
    return [run.id for run in fired if run.state == RunState.PENDING]


def pending_runs(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(CampaignRun.id)
            .join(Campaign, Campaign.id == CampaignRun.campaign_id)
            .where(
                CampaignRun.state == RunState.PENDING,
                Campaign.status.in_((CampaignStatus.ACTIVE, CampaignStatus.FINISHED)),
            )
            .order_by(CampaignRun.id)
        )
    )


def _in_window(campaign: Campaign, run: CampaignRun, grace: timedelta) -> Callable[[Contact], bool]:
    """Relative campaigns: is this contact's moment (date field + offset) due in this run?"""
    if campaign.schedule != ScheduleKind.RELATIVE or campaign.relative_field is None:
        return lambda _contact: True
    name = campaign.relative_field
    offset = timedelta(minutes=campaign.offset_minutes)
    start = max(run.window_start or run.run_at - grace, run.run_at - grace)

    def due(contact: Contact) -> bool:
        moment = contact_fields.stored_datetime(contact.fields.get(name))
        return moment is not None and start < moment + offset <= run.run_at

    return due


# Counting parts is a pure function of the text, and personalised texts repeat (the same
# first names, the same fallbacks); bounded, as a text may be long.
_counted = lru_cache(maxsize=1024)(count_segments)


def new_message(text: str, number: str, now: datetime, at: datetime | None) -> Message:
    """A marketing message for the queue; the gate decides its final state in the flush."""
    counted = _counted(text)
    later = at is not None and at > now
    return Message(
        direction=Direction.OUT,
        state=S.SCHEDULED if later else S.QUEUED,
        kind=Kind.MARKETING,
        priority=PRIORITY[Kind.MARKETING],
        peer=number,
        body=text,
        encoding=counted.encoding,
        segments=counted.parts,
        modem=None,
        created_at=now,
        scheduled_at=at if later else None,
        attempts=0,
    )


def store_batch(session: Session, campaign: str, messages: list[Message]) -> None:
    """Add ``messages`` (gated in this flush) and tie them to ``campaign`` for replies.

    Not committed. The messages go through the ORM because the gate decides them in
    its flush; their meta rows are new and no gate's business, so they are inserted in
    one statement rather than built as a thousand more objects.
    """
    if not messages:
        return
    session.add_all(messages)
    session.flush()
    session.execute(
        insert(MessageMeta), [{"message_id": m.id, "campaign": campaign} for m in messages]
    )
    if any(m.state == S.QUEUED for m in messages):
        note_work(session)


def spacing(campaign: Campaign) -> timedelta:
    return timedelta(minutes=1) / campaign.per_minute if campaign.per_minute else timedelta(0)


def materialise(
    session: Session, run_id: int, now: datetime, *, batch: int, grace: timedelta
) -> int:
    """Create the messages of a pending run, ``batch`` contacts per commit; returns how many."""
    run = session.get(CampaignRun, run_id)
    if run is None or run.state != RunState.PENDING:
        return 0
    campaign = store.get(session, run.campaign_id)
    template = store.template_of(campaign)
    spec = segments.filter_of(session, campaign.segment_id)
    due = _in_window(campaign, run, grace)
    gap = spacing(campaign)
    made = 0
    for page in segments.pages(session, spec, now, after=run.cursor, size=batch):
        messages: list[Message] = []
        for contact in page.contacts:
            if not due(contact):
                continue
            try:
                text = template.render(contact)
                at = run.run_at + gap * (run.created + len(messages)) if gap else None
                messages.append(new_message(text, contact.number, now, at))
            except (ValidationError, PduError) as exc:
                log.warning("campaign %r: contact %d skipped: %s", campaign.name, contact.id, exc)
        store_batch(session, campaign.name, messages)
        run.cursor = page.last_id
        run.created += len(messages)
        made += len(messages)
        session.commit()
        # A pause or cancel between batches stops the run here.
        if session.scalar(select(Campaign.status).where(Campaign.id == campaign.id)) not in (
            CampaignStatus.ACTIVE,
            CampaignStatus.FINISHED,
        ):
            return made
    run.state = RunState.DONE
    run.finished_at = now
    session.commit()
    return made


def materialise_due(session: Session, now: datetime, *, batch: int, grace: timedelta) -> int:
    """Fire what is due and materialise every pending run: the scheduler's one job."""
    fire_due(session, now, grace=grace)
    return sum(
        materialise(session, run_id, now, batch=batch, grace=grace)
        for run_id in pending_runs(session)
    )
