"""Telling a background thread that a commit made work for it.

Code that makes work marks its session under a key, optionally with what it made; the
thread's owner subscribes to the session factory and is called after the commit, when
other connections see the rows. A rollback drops the mark, so nobody is woken for work
that never happened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker


def mark(session: Session, key: str, value: object = True) -> None:
    session.info[key] = value


def marked(session: Session, key: str) -> Any:
    """What ``session`` was marked with under ``key`` so far (None: not marked)."""
    return session.info.get(key)


def after_marked_commit(
    sessions: sessionmaker[Session], key: str, callback: Callable[[], None]
) -> Callable[[], None]:
    """Call ``callback`` after each commit whose session was marked with ``key``.

    Returns the unsubscriber.
    """
    return after_marked_commit_with(sessions, key, lambda _value: callback())


def after_marked_commit_with(
    sessions: sessionmaker[Session], key: str, callback: Callable[[Any], None]
) -> Callable[[], None]:
    """:func:`after_marked_commit`, handing ``callback`` the value the session was marked with."""

    def after_commit(session: Session) -> None:
        value = session.info.pop(key, None)
        if value is not None:
            callback(value)

    def after_rollback(session: Session) -> None:
        session.info.pop(key, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)

    def unsubscribe() -> None:
        event.remove(sessions, "after_commit", after_commit)
        event.remove(sessions, "after_rollback", after_rollback)

    return unsubscribe
