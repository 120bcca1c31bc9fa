"""State changes noted while a transaction runs, announced around its commit.

The queue moves messages with bulk UPDATEs that ORM events never see, so each
transition notes ``(message id, new state)`` in its session. :func:`on_state_changes`
hands them to listeners before the commit (to add to the same transaction, such as
durable webhook deliveries) and after it (live UI updates, which must not announce
what a rollback undid).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from gateway.states import MessageState

_KEY = "cellgate.state_changes"
StateChange = tuple[int, MessageState]
BeforeCommit = Callable[[Session, list[StateChange]], None]
AfterCommit = Callable[[list[StateChange]], None]


def note(session: Session, message_id: int, state: MessageState) -> None:
    session.info.setdefault(_KEY, []).append((message_id, state))


def note_many(session: Session, message_ids: list[int], state: MessageState) -> None:
    session.info.setdefault(_KEY, []).extend((id_, state) for id_ in message_ids)


def on_state_changes(
    sessions: sessionmaker[Session], *, before_commit: BeforeCommit, after_commit: AfterCommit
) -> Callable[[], None]:
    """Install the listeners on ``sessions``; returns the uninstaller."""

    def announce_before(session: Session) -> None:
        changes: list[StateChange] = session.info.get(_KEY, [])
        if changes:
            before_commit(session, list(changes))

    def announce_after(session: Session) -> None:
        changes: list[StateChange] = session.info.pop(_KEY, [])
        if changes:
            after_commit(changes)

    def forget(session: Session, *_args: Any) -> None:
        session.info.pop(_KEY, None)

    listeners = (
        ("before_commit", announce_before),
        ("after_commit", announce_after),
        ("after_rollback", forget),
    )
    for name, listener in listeners:
        event.listen(sessions, name, listener)

    def uninstall() -> None:
        for name, listener in listeners:
            event.remove(sessions, name, listener)

    return uninstall
