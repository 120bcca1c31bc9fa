"""Waking the workers when new work is committed, without coupling enqueue to them.

``enqueue`` only marks its session; whoever runs workers subscribes to the session
factory and is told after the commit, when the rows are visible to other connections.
Other nodes' work is found by the workers' periodic look instead.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from gateway.commit_signals import after_marked_commit, mark

_KEY = "cellgate.queue.work"


def note_work(session: Session) -> None:
    """Say that committing ``session`` makes messages claimable."""
    mark(session, _KEY)


def on_work(sessions: sessionmaker[Session], callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each commit that noted work; returns the unsubscriber."""
    return after_marked_commit(sessions, _KEY, callback)
