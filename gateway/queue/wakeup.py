"""Waking the workers when new work is committed, without coupling enqueue to them.

``enqueue`` only marks its session with what it made claimable; whoever runs workers
subscribes to the session factory and is told after the commit, when the rows are
visible to other connections. A single new message wakes one idle worker (or the
modem it asks for), not all of them: every worker woken for a message another takes
runs a claim that finds nothing, and with a few modems idle that was most of the
database work per message. Bulk changes (schedules coming due, recoveries, campaigns)
wake every worker. Other nodes' work is found by the workers' periodic look instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from gateway.commit_signals import after_marked_commit_with, mark, marked

_KEY = "cellgate.queue.work"


@dataclass
class Work:
    """What one transaction made claimable."""

    anyone: int = 0  # messages any modem may send
    pinned: Counter[str] = field(default_factory=Counter)  # messages asked of one modem
    everyone: bool = False  # too many or too varied to aim: wake every worker


def _work(session: Session) -> Work:
    work = marked(session, _KEY)
    if work is None:
        work = Work()
        mark(session, _KEY, work)
    assert isinstance(work, Work)
    return work


def note_work(session: Session) -> None:
    """Say that committing ``session`` makes any number of messages claimable."""
    _work(session).everyone = True


def note_message(session: Session, modem: str | None) -> None:
    """Say that committing ``session`` makes one message claimable (by ``modem`` if set)."""
    work = _work(session)
    if modem is None:
        work.anyone += 1
    else:
        work.pinned[modem] += 1


def on_work(
    sessions: sessionmaker[Session], callback: Callable[[Work], None]
) -> Callable[[], None]:
    """Call ``callback`` after each commit that noted work; returns the unsubscriber."""
    return after_marked_commit_with(sessions, _KEY, callback)
