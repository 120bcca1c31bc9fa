"""Telling a background thread that a commit made work for it.

Code that makes work marks its session under a key; the thread's owner subscribes to
the session factory and is called after the commit, when other connections see the
rows. A rollback drops the mark, so nobody is woken for work that never happened.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker


def mark(session: Session, key: str) -> None:
    session.info[key] = True


def after_marked_commit(
    sessions: sessionmaker[Session], key: str, callback: Callable[[], None]
) -> Callable[[], None]:
    """Call ``callback`` after each commit whose session was marked with ``key``.

    Returns the unsubscriber.
    """

    def after_commit(session: Session) -> None:
        if session.info.pop(key, False):
            callback()

    def after_rollback(session: Session) -> None:
        session.info.pop(key, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)

    def unsubscribe() -> None:
        event.remove(sessions, "after_commit", after_commit)
        event.remove(sessions, "after_rollback", after_rollback)

    return unsubscribe
