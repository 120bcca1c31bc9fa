"""Waking the workers when new work is committed, without coupling enqueue to them.

``enqueue`` only marks its session; whoever runs workers subscribes to the session
factory and is told after the commit, when the rows are visible to other connections.
Other nodes' work is found by the workers' periodic look instead.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

_KEY = "cellgate.queue.work"


def note_work(session: Session) -> None:
    """Say that committing ``session`` makes messages claimable."""
    session.info[_KEY] = True


def on_work(sessions: sessionmaker[Session], callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each commit that noted work; returns the unsubscriber."""

    def after_commit(session: Session) -> None:
        if session.info.pop(_KEY, False):
            callback()

    def after_rollback(session: Session) -> None:
        session.info.pop(_KEY, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)

    def unsubscribe() -> None:
        event.remove(sessions, "after_commit", after_commit)
        event.remove(sessions, "after_rollback", after_rollback)

    return unsubscribe
