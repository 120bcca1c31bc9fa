"""A worker's database side: one thread, one session, tasks run in the order given.

The modem must not sit idle while the database records the last send and finds the
next one (on SQLite that can mean queueing behind other writers), so a worker hands
that work here and keeps its port busy. Running the tasks one at a time in order keeps
the guarantees simple: a send is recorded before a later delivery report for it is
matched, and each task is one committed transaction of guarded updates.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")
Task = Callable[[Session], T]


class Ledger:
    def __init__(self, sessions: sessionmaker[Session], name: str) -> None:
        self._sessions = sessions
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ledger-{name}")
        self._session: Session | None = None  # touched only on the pool's thread

    def submit(self, task: Task[T]) -> Future[T]:
        """Run ``task`` and commit, after every task submitted before it."""
        return self._pool.submit(self._run, task)

    def call(self, task: Task[T]) -> T:
        """:meth:`submit` and wait for the result (or the exception)."""
        return self.submit(task).result()

    def close(self) -> None:
        """Finish the tasks already submitted, then let the session go."""
        self._pool.submit(self._close_session).result()
        self._pool.shutdown(wait=True)

    def _run(self, task: Task[T]) -> T:
        # One session for the worker's life: a new one per message cost more CPU than
        # the statements it ran.
        if self._session is None:
            self._session = self._sessions()
        try:
            result = task(self._session)
            self._session.commit()
        except BaseException:
            self._session.rollback()
            raise
        return result

    def _close_session(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
