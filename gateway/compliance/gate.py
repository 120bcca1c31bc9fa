"""The compliance gate every outbound message passes, whatever sent it.

:func:`check` decides one message. :func:`install` makes the decision unavoidable: it
hooks the session factory so that every outbound :class:`Message` inserted through
the ORM (API, UI, campaigns, auto-replies, the queue's own ``enqueue``) is checked in
the flush that stores it and lands ``suppressed`` (reason in ``last_error``) or
``scheduled`` for the next allowed moment instead of ``queued``. When a contact opts
out, :func:`suppress_pending` withdraws what is already waiting for them.

Only the opt-out confirmation and the answer to HELP may reach an opted-out number.
Quiet hours and frequency caps apply to marketing only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    bindparam,
    event,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, sessionmaker

from gateway import contacts
from gateway.compliance.caps import FrequencyCap
from gateway.compliance.keywords import KeywordSet
from gateway.compliance.quiet_hours import QuietHours
from gateway.models import Contact, Direction, Kind, Message, Suppression, utcnow
from gateway.models.base import UTCDateTime
from gateway.queue.transitions import guarded_update
from gateway.states import MessageState

S = MessageState


class Purpose(StrEnum):
    """Why a message is sent, as far as consent rules care."""

    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"
    CONVERSATION = "conversation"
    AUTO_REPLY = "auto_reply"  # out-of-hours answers and keyword-rule replies
    OPT_OUT_CONFIRMATION = "opt_out_confirmation"
    OPT_IN_CONFIRMATION = "opt_in_confirmation"
    HELP = "help"


# What may still reach a number that opted out.
EXEMPT_FROM_OPT_OUT = frozenset({Purpose.OPT_OUT_CONFIRMATION, Purpose.HELP})

PURPOSE_OF_KIND: dict[str, Purpose] = {
    Kind.MARKETING: Purpose.MARKETING,
    Kind.TRANSACTIONAL: Purpose.TRANSACTIONAL,
    Kind.CONVERSATION: Purpose.CONVERSATION,
    Kind.SYSTEM: Purpose.AUTO_REPLY,
}

# Marketing messages counted against the cap: those that went or may still go.
COUNTED_STATES = frozenset(
    {S.SCHEDULED, S.QUEUED, S.SENDING, S.RETRY_WAIT, S.SENT, S.DELIVERED, S.UNKNOWN}
)
# Waiting messages an opt-out withdraws.
WITHDRAWN_STATES = (S.SCHEDULED, S.QUEUED, S.RETRY_WAIT)


@dataclass(frozen=True)
class Allowed:
    pass


@dataclass(frozen=True)
class Deferred:
    until: datetime
    reason: str


@dataclass(frozen=True)
class Suppressed:
    reason: str


Decision = Allowed | Deferred | Suppressed


@dataclass(frozen=True)
class Policy:
    """The rules the gate applies, as :mod:`gateway.compliance.settings` builds them from the
    config file and the overrides admins saved in Settings."""

    quiet_hours: QuietHours
    cap: FrequencyCap
    keywords: KeywordSet
    opt_out_reply: str
    opt_in_reply: str
    help_reply: str


@dataclass(frozen=True)
class ContactFacts:
    opted_out: bool
    time_zone: str | None


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about some numbers, read with one query per kind.

    A campaign flushes a thousand messages at once; reading these per message cost
    four queries each, so the flush reads them for all its numbers together.
    """

    contacts: dict[str, ContactFacts]
    suppressions: dict[str, str]  # number -> the suppression list's reason
    marketing: dict[str, list[datetime]]  # number -> its counted marketing messages' times


_CHUNK = 500  # numbers per IN (...) list, well under SQLite's parameter limit
# Built once: building a statement cost more CPU than running it, on every API send.
Listed = CompoundSelect[str, bool | None, str | None, str | None]


def _listed(contact: ColumnElement[bool], suppression: ColumnElement[bool]) -> Listed:
    """Contacts and the suppression list in one statement: a round trip per kind was most
    of the gate's cost for a single API message. A suppression row is the one with a
    reason (never null); a contact row has none."""
    return union_all(
        select(Contact.number, Contact.opted_out, Contact.time_zone, null()).where(contact),
        select(Suppression.number_hash, null(), null(), Suppression.reason).where(suppression),
    )


_LISTED = _listed(
    Contact.number.in_(bindparam("numbers", expanding=True)),
    Suppression.number_hash.in_(bindparam("hashes", expanding=True)),
)
# One number (an API message, a reply): an expanding IN is rendered again at every run.
_LISTED_ONE = _listed(
    Contact.number == bindparam("numbers"), Suppression.number_hash == bindparam("hashes")
)
# The states are filtered in Python: given ``state IN (...)`` next to a long
# ``peer IN (...)``, SQLite (no statistics) walks an index on state, every queued message
# for each chunk, and a 100,000-message campaign slowed down as it went.
_MARKETING_AT = func.coalesce(Message.scheduled_at, Message.sent_at, Message.created_at)
# Only what the cap can still count: a contact's years of campaigns are not read again
# for every new one.
_MARKETING = select(Message.peer, Message.state, _MARKETING_AT).where(
    Message.peer.in_(bindparam("numbers", expanding=True)),
    Message.direction == Direction.OUT,
    Message.kind == Kind.MARKETING,
    bindparam("since", type_=UTCDateTime()) < _MARKETING_AT,
)


def gather(
    session: Session, numbers: Iterable[str], *, marketing_since: datetime | None = None
) -> Facts:
    """The facts about ``numbers``; with ``marketing_since``, their marketing history
    after it.

    Read on the session's connection, past the ORM's statement handling (which cost
    twice the query): none of these rows become objects. So, unlike a session query,
    this does not flush first; the gate runs inside a flush, and :func:`check` flushes.
    """
    wanted = sorted(set(numbers))
    facts = Facts({}, {}, {})
    connection = session.connection()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        hashes = {contacts.number_hash(number): number for number in chunk}
        if len(chunk) == 1:
            (only_hash,) = hashes
            listed = connection.execute(_LISTED_ONE, {"numbers": chunk[0], "hashes": only_hash})
        else:
            listed = connection.execute(_LISTED, {"numbers": chunk, "hashes": list(hashes)})
        for number, opted_out, time_zone, reason in listed:
            if reason is None:
                facts.contacts[number] = ContactFacts(bool(opted_out), time_zone)
            else:
                facts.suppressions[hashes[number]] = reason
        if marketing_since is not None:
            history = connection.execute(_MARKETING, {"numbers": chunk, "since": marketing_since})
            for peer, state, at in history:
                if state in COUNTED_STATES:
                    facts.marketing.setdefault(peer, []).append(at)
    return facts


def decide(
    facts: Facts, number: str, purpose: Purpose, now: datetime, *, policy: Policy
) -> Decision:
    """May a message for ``purpose`` go to ``number`` at ``now``, given ``facts`` about it?"""
    contact = facts.contacts.get(number)
    if purpose not in EXEMPT_FROM_OPT_OUT:
        if contact is not None and contact.opted_out:
            return Suppressed("opted out")
        if number in facts.suppressions:
            return Suppressed(f"suppressed: {facts.suppressions[number]}")
    if purpose is not Purpose.MARKETING:
        return Allowed()
    override = contact.time_zone if contact is not None else None
    until = policy.quiet_hours.next_allowed(now, number, override)
    free = policy.cap.next_free(facts.marketing.get(number, []), until)
    if free is not None:
        return Suppressed(
            f"frequency cap: {policy.cap.limit} marketing messages per {policy.cap.window}"
        )
    if until > now:
        return Deferred(until, "quiet hours in the recipient's time zone")
    return Allowed()


def check(
    session: Session, number: str, purpose: Purpose, now: datetime, *, policy: Policy
) -> Decision:
    """May a message for ``purpose`` go to ``number`` at ``now``?"""
    if session.autoflush:  # as a query would: the facts include what is not flushed yet
        session.flush()
    since = _history_from(policy, now) if purpose is Purpose.MARKETING else None
    facts = gather(session, [number], marketing_since=since)
    return decide(facts, number, purpose, now, policy=policy)


def _history_from(policy: Policy, now: datetime) -> datetime | None:
    """Since when marketing sent counts against the cap for a message going at ``now``
    or later (``None``: no cap, no history needed)."""
    return now - policy.cap.window if policy.cap.limit else None


_TIME_ZONE = select(Contact.time_zone).where(Contact.number == bindparam("number"))


def quiet_until(session: Session, number: str, now: datetime, *, policy: Policy) -> datetime | None:
    """When marketing for ``number`` may go, if not at ``now``.

    The gate decides when a message is stored; a worker asks again when it comes to
    send a marketing message, because a long queue behind a slow SIM can carry a message
    stored in the afternoon into the recipient's night.
    """
    override = session.scalar(_TIME_ZONE, {"number": number})
    until = policy.quiet_hours.next_allowed(now, number, override)
    return until if until > now else None


_PURPOSES = "cellgate.compliance.purposes"


def mark_purpose(session: Session, number: str, purpose: Purpose) -> None:
    """Say why the next message to ``number`` flushed in ``session`` is sent.

    Needed when its kind does not tell: an opt-out confirmation and a HELP answer are
    both ``system`` messages, like auto-replies, but only they may reach an opted-out
    number.
    """
    session.info.setdefault(_PURPOSES, {})[number] = purpose


def apply(session: Session, message: Message, decision: Decision, now: datetime) -> None:
    """Put a new, unflushed ``message`` in the state ``decision`` asks for."""
    if isinstance(decision, Suppressed):
        message.state = S.SUPPRESSED
        message.last_error = decision.reason
        message.final_at = now
    elif isinstance(decision, Deferred):
        message.state = S.SCHEDULED
        message.scheduled_at = decision.until


def _new_outbound(session: Session) -> Iterable[Message]:
    for obj in session.new:
        if (
            isinstance(obj, Message)
            and obj.direction == Direction.OUT
            and obj.state in (S.QUEUED, S.SCHEDULED)
        ):
            yield obj


# The rules in force when a session flushes (admins may change them while we run).
PolicySource = Callable[[Session], Policy]


def _fixed(policy: Policy) -> PolicySource:
    return lambda _session: policy


def install(sessions: sessionmaker[Session], policy: Policy | PolicySource) -> Callable[[], None]:
    """Check every outbound message flushed through ``sessions``; returns the uninstaller.

    ``policy`` is fixed, or asked for the rules in force at each flush that stores
    outbound messages (:meth:`gateway.compliance.settings.LiveRules.policy`), so an
    admin's change applies from the next message on.
    """
    current = _fixed(policy) if isinstance(policy, Policy) else policy

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        purposes: dict[str, Purpose] = session.info.pop(_PURPOSES, {})
        outbound = list(_new_outbound(session))
        if not outbound:
            return
        rules = current(session)
        why = [
            purposes.pop(message.peer)
            if message.peer in purposes
            else PURPOSE_OF_KIND.get(message.kind, Purpose.TRANSACTIONAL)
            for message in outbound
        ]
        stored_at = [message.created_at or utcnow() for message in outbound]
        since = _history_from(rules, min(stored_at)) if Purpose.MARKETING in why else None
        facts = gather(session, (message.peer for message in outbound), marketing_since=since)
        for message, purpose, now in zip(outbound, why, stored_at, strict=True):
            at = max(message.scheduled_at or now, now)
            decision = decide(facts, message.peer, purpose, at, policy=rules)
            apply(session, message, decision, now)

    event.listen(sessions, "before_flush", before_flush)
    return lambda: event.remove(sessions, "before_flush", before_flush)


def suppress_pending(session: Session, number: str, now: datetime, reason: str) -> int:
    """Withdraw every message still waiting to go to ``number`` (not committed).

    A message already ``sending`` is on the wire and cannot be recalled. Returns how
    many were suppressed.
    """
    waiting = session.execute(
        select(Message.id, Message.state).where(
            Message.peer == number,
            Message.direction == Direction.OUT,
            Message.state.in_(WITHDRAWN_STATES),
        )
    ).all()
    count = 0
    for message_id, state in waiting:
        old = S(str(state))
        if old is S.RETRY_WAIT:
            # A retry waits outside the queue; it re-enters it to leave it suppressed.
            if not guarded_update(session, message_id, old, S.QUEUED):
                continue
            old = S.QUEUED
        if guarded_update(session, message_id, old, S.SUPPRESSED, last_error=reason, final_at=now):
            count += 1
    return count
