"""A campaign's numbers: where its messages are, who replied, who opted out.

Everything is counted in the database (grouped queries over ``message_meta``), never
by loading the recipients, so the progress bar can poll it during a 100,000-message run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from gateway.campaigns.control import RESUMED
from gateway.models import (
    Campaign,
    ConsentAction,
    ConsentEvent,
    Contact,
    Direction,
    Message,
    MessageMeta,
)
from gateway.states import MessageState

S = MessageState
WAITING = frozenset({S.SCHEDULED, S.QUEUED, S.SENDING, S.RETRY_WAIT})
REACHED = (S.SENT, S.DELIVERED)


@dataclass(frozen=True)
class CampaignStats:
    total: int
    queued: int
    sent: int
    delivered: int
    failed: int
    suppressed: int
    cancelled: int
    replies: int
    opt_outs: int

    @property
    def done(self) -> int:
        return self.total - self.queued

    @property
    def response_rate(self) -> float:
        reached = self.sent + self.delivered
        return round(self.replies / reached, 4) if reached else 0.0

    @property
    def progress(self) -> float:
        return round(self.done / self.total, 4) if self.total else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "done": self.done,
            "response_rate": self.response_rate,
            "progress": self.progress,
        }


def _sent_to(campaign: str) -> tuple[Any, Any]:
    """A fresh alias for the campaign's messages, and the condition that they reached
    the network."""
    sent = aliased(Message)
    meta = aliased(MessageMeta)
    return (
        sent,
        and_(meta.message_id == sent.id, meta.campaign == campaign, sent.state.in_(REACHED)),
    )


def stats(session: Session, campaign: Campaign) -> CampaignStats:
    counts: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Message.state, func.count())
            .join(MessageMeta, MessageMeta.message_id == Message.id)
            .where(
                MessageMeta.campaign == campaign.name,
                Message.last_error.is_(None) | (Message.last_error != RESUMED),
            )
            .group_by(Message.state)
        ).all()
    )
    sent, reached = _sent_to(campaign.name)
    replies = session.scalar(
        select(func.count(func.distinct(Message.peer))).where(
            Message.direction == Direction.IN,
            exists().where(reached, sent.peer == Message.peer, sent.id < Message.id),
        )
    )
    sent, reached = _sent_to(campaign.name)
    opt_outs = session.scalar(
        select(func.count(func.distinct(ConsentEvent.contact_id)))
        .join(Contact, Contact.id == ConsentEvent.contact_id)
        .where(
            ConsentEvent.action == ConsentAction.OPT_OUT,
            exists().where(
                reached,
                sent.peer == Contact.number,
                ConsentEvent.at >= func.coalesce(sent.sent_at, sent.created_at),
            ),
        )
    )
    return CampaignStats(
        total=sum(counts.values()),
        queued=sum(counts.get(state, 0) for state in WAITING),
        sent=counts.get(S.SENT, 0),
        delivered=counts.get(S.DELIVERED, 0),
        failed=counts.get(S.FAILED, 0) + counts.get(S.UNKNOWN, 0),
        suppressed=counts.get(S.SUPPRESSED, 0),
        cancelled=counts.get(S.CANCELLED, 0),
        replies=replies or 0,
        opt_outs=opt_outs or 0,
    )
