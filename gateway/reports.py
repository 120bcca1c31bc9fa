"""Reports: how well messages land, how people answer, and how fast the team does.

Everything is computed for a window of days in the business's time zone. Rates count
outbound messages: delivered of those that left a modem, replied to or followed by an
opt-out within ``FOLLOW_UP`` of being sent. Times are medians, so one forgotten
conversation does not hide how the team usually does.
"""

from __future__ import annotations

import bisect
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import (
    Closure,
    ConsentAction,
    ConsentEvent,
    Contact,
    Conversation,
    Direction,
    Kind,
    Message,
    MessageMeta,
    User,
)
from gateway.states import MessageState

FOLLOW_UP = timedelta(days=3)
LEFT_MODEM = (MessageState.SENT, MessageState.DELIVERED, MessageState.FAILED)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    zone: ZoneInfo

    @classmethod
    def last_days(cls, days: int, now: datetime, zone: ZoneInfo) -> Window:
        today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(today - timedelta(days=days - 1), now, zone)

    def days(self) -> list[date]:
        first = self.start.astimezone(self.zone).date()
        last = self.end.astimezone(self.zone).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Rates:
    kind: str
    campaign: str | None
    messages: int
    left: int  # reached sent, delivered or failed
    delivered: int
    replied: int
    opted_out: int

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def delivery_rate(self) -> float | None:
        return self._share(self.delivered, self.left)

    @property
    def response_rate(self) -> float | None:
        return self._share(self.replied, self.messages)

    @property
    def opt_out_rate(self) -> float | None:
        return self._share(self.opted_out, self.messages)


@dataclass(frozen=True)
class AgentTimes:
    agent: str
    first_responses: int
    median_first_response: timedelta | None
    resolutions: int
    median_resolution: timedelta | None


def _followed(times: list[datetime], after: datetime) -> bool:
    """Whether one of the sorted ``times`` falls within FOLLOW_UP after ``after``."""
    index = bisect.bisect_right(times, after)
    return index < len(times) and times[index] <= after + FOLLOW_UP


def _inbound_times(session: Session, window: Window) -> dict[str, list[datetime]]:
    found: defaultdict[str, list[datetime]] = defaultdict(list)
    for peer, at in session.execute(
        select(Message.peer, Message.created_at)
        .where(Message.direction == Direction.IN, Message.created_at >= window.start)
        .order_by(Message.created_at)
    ):
        found[peer].append(at)
    return found


def rates(session: Session, window: Window) -> list[Rates]:
    """Per message type and campaign, largest first."""
    replies = _inbound_times(session, window)
    opt_outs: defaultdict[str, list[datetime]] = defaultdict(list)
    for number, at in session.execute(
        select(Contact.number, ConsentEvent.at)
        .join(Contact, Contact.id == ConsentEvent.contact_id)
        .where(ConsentEvent.action == ConsentAction.OPT_OUT, ConsentEvent.at >= window.start)
        .order_by(ConsentEvent.at)
    ):
        opt_outs[number].append(at)
    counts: defaultdict[tuple[str, str | None], Counter[str]] = defaultdict(Counter)
    outbound = session.execute(
        select(Message.kind, MessageMeta.campaign, Message.state, Message.peer, Message.created_at)
        .outerjoin(MessageMeta, MessageMeta.message_id == Message.id)
        .where(
            Message.direction == Direction.OUT,
            Message.created_at >= window.start,
            Message.created_at <= window.end,
        )
    )
    for kind, campaign, state, peer, at in outbound:
        tally = counts[(kind, campaign)]
        tally["messages"] += 1
        tally["left"] += state in LEFT_MODEM
        tally["delivered"] += state == MessageState.DELIVERED
        tally["replied"] += _followed(replies.get(peer, []), at)
        tally["opted_out"] += _followed(opt_outs.get(peer, []), at)
    found = [
        Rates(
            kind,
            campaign,
            **{
                name: tally[name]
                for name in ("messages", "left", "delivered", "replied", "opted_out")
            },
        )
        for (kind, campaign), tally in counts.items()
    ]
    return sorted(found, key=lambda row: (-row.messages, row.kind, row.campaign or ""))


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(value.total_seconds() for value in values))


def agent_times(session: Session, window: Window) -> list[AgentTimes]:
    """Median first response (per assignee) and resolution (per closer) in the window.

    A first response is the first reply after an inbound message that was waiting for
    one; a resolution runs from the first inbound message after the previous closure to
    the closure.
    """
    names = dict(session.execute(select(User.id, User.display_name)).all())
    conversation_of = {
        number: (conversation_id, assignee)
        for number, conversation_id, assignee in session.execute(
            select(Contact.number, Conversation.id, Conversation.assignee_id).join(
                Conversation, Conversation.contact_id == Contact.id
            )
        )
    }
    responses: defaultdict[int | None, list[timedelta]] = defaultdict(list)
    first_inbound: defaultdict[int, list[datetime]] = defaultdict(list)
    waiting: dict[str, datetime] = {}
    history = session.execute(
        select(Message.peer, Message.direction, Message.kind, Message.created_at)
        .where(Message.created_at >= window.start, Message.created_at <= window.end)
        .where((Message.direction == Direction.IN) | (Message.kind == Kind.CONVERSATION))
        .order_by(Message.created_at, Message.id)
    )
    for peer, direction, _kind, at in history:
        known = conversation_of.get(peer)
        if known is None:
            continue
        if direction == Direction.IN:
            waiting.setdefault(peer, at)
            first_inbound[known[0]].append(at)
        elif peer in waiting:
            responses[known[1]].append(at - waiting.pop(peer))
    resolutions: defaultdict[int | None, list[timedelta]] = defaultdict(list)
    previous: dict[int, datetime] = {}
    for closure in session.scalars(
        select(Closure).where(Closure.closed_at >= window.start).order_by(Closure.closed_at)
    ):
        after = previous.get(closure.conversation_id, window.start)
        opened = [
            at for at in first_inbound[closure.conversation_id] if after <= at <= closure.closed_at
        ]
        if opened:
            resolutions[closure.user_id].append(closure.closed_at - opened[0])
        previous[closure.conversation_id] = closure.closed_at
    agents = set(responses) | set(resolutions)
    rows = [
        AgentTimes(
            names.get(agent, "Unassigned") if agent is not None else "Unassigned",
            len(responses[agent]),
            _median(responses[agent]),
            len(resolutions[agent]),
            _median(resolutions[agent]),
        )
        for agent in agents
    ]
    return sorted(rows, key=lambda row: row.agent)


@dataclass(frozen=True)
class Volume:
    per_day: list[tuple[date, int, int]]  # day, SMS parts sent, messages received
    per_modem: list[tuple[str, int, int]]  # modem, SMS parts sent, messages received


def volume(session: Session, window: Window) -> Volume:
    sent_day: Counter[date] = Counter()
    received_day: Counter[date] = Counter()
    sent_modem: Counter[str] = Counter()
    received_modem: Counter[str] = Counter()
    for direction, modem, parts, created, sent in session.execute(
        select(
            Message.direction,
            Message.sent_modem,
            Message.segments,
            Message.created_at,
            Message.sent_at,
        ).where(
            Message.created_at >= window.start - timedelta(days=1), Message.created_at <= window.end
        )
    ):
        at = sent if direction == Direction.OUT else created
        if at is None or at < window.start:
            continue
        day = at.astimezone(window.zone).date()
        name = modem or "unknown"
        if direction == Direction.OUT:
            sent_day[day] += parts
            sent_modem[name] += parts
        else:
            received_day[day] += 1
            received_modem[name] += 1
    return Volume(
        [(day, sent_day[day], received_day[day]) for day in window.days()],
        [
            (name, sent_modem[name], received_modem[name])
            for name in sorted(sent_modem | received_modem)
        ],
    )
