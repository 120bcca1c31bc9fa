"""A worker's database side: one session, tasks run one at a time in the order given.

The modem must not sit idle while the database records the last send and finds the
next one (on SQLite that can mean queueing behind other writers), so a worker hands
that work here and keeps its port busy. Running the tasks one at a time in order keeps
the guarantees simple: a send is recorded before a later delivery report for it is
matched, and each task is one committed transaction of guarded updates. Tasks
submitted run on the ledger's thread; a task called (its caller waits for the result)
while nothing is queued runs on the caller's thread, as handing it over and back cost
two thread switches and a wake of the ledger's thread, for every message of a trickle.

A database that stops answering (SQLite locked past its busy timeout, PostgreSQL
restarting) is waited out: the task is rolled back and run again until it commits, so
the outcomes it carries are written late rather than lost, and no later task overtakes
it. Only a worker that is stopping gives up; what it could not write stays ``sending``
for start-up recovery.

A commit whose answer was lost (PostgreSQL cut off mid-commit) may have landed, so a
task must be safe to run again after its own commit: the queue's guarded updates are,
and the worker recognises a claim it made on an earlier run. What must happen once, and
only for a transaction that is on record (counting a failure in the modem's health), is
handed to :func:`after_commit`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from gateway.db import describe, is_transient

log = logging.getLogger(__name__)

T = TypeVar("T")
Task = Callable[[Session], T]

_AFTER_COMMIT = "cellgate.ledger.after_commit"

RETRY_FIRST_SECONDS = 0.1
RETRY_MAX_SECONDS = 5.0
# While the database stays away, say so again this often (the modem is idle meanwhile).
REMIND_SECONDS = 60.0


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the ledger task running in ``session`` has committed; never,
    if it is rolled back (it is then run again, and calls this again)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


class Ledger:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        name: str,
        *,
        stopping: threading.Event | None = None,
        on_unavailable: Callable[[Exception], None] = lambda _exc: None,
    ) -> None:
        self._sessions = sessions
        self._name = name
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ledger-{name}")
        self._session: Session | None = None  # used only under _running
        self._running = threading.Lock()  # held by the task running, on whichever thread
        self._counting = threading.Lock()
        self._pending = 0  # tasks submitted or called and not finished (under _counting)
        self._stopping = stopping or threading.Event()
        self._on_unavailable = on_unavailable

    def submit(self, task: Task[T]) -> Future[T]:
        """Run ``task`` and commit, after every task submitted before it."""
        with self._counting:
            self._pending += 1
        try:
            return self._pool.submit(self._run_in_turn, task)
        except BaseException:
            self._finished()
            raise

    def call(self, task: Task[T]) -> T:
        """:meth:`submit` and wait for the result (or the exception)."""
        with self._counting:
            idle = self._pending == 0
            if idle:
                self._pending += 1
        if not idle:
            return self.submit(task).result()
        return self._run_in_turn(task)

    def close(self) -> None:
        """Finish the tasks already submitted, then let the session go."""
        self._pool.shutdown(wait=True)
        with self._running:
            if self._session is not None:
                self._session.close()
                self._session = None

    def _run_in_turn(self, task: Task[T]) -> T:
        try:
            with self._running:
                return self._run(task)
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._counting:
            self._pending -= 1

    def _run(self, task: Task[T]) -> T:
        delay = RETRY_FIRST_SECONDS
        failing_since: float | None = None
        reminded_at = 0.0
        while True:
            try:
                result = self._attempt(task)
            except Exception as exc:
                if not is_transient(exc) or self._stopping.is_set():
                    raise
                now = time.monotonic()
                if failing_since is None:
                    failing_since = reminded_at = now
                    log.warning(
                        "%s: the database is unavailable, retrying until it answers: %s",
                        self._name,
                        describe(exc),
                    )
                elif now - reminded_at >= REMIND_SECONDS:
                    reminded_at = now
                    log.warning(
                        "%s: the database is still unavailable after %.0f s: %s",
                        self._name,
                        now - failing_since,
                        describe(exc),
                    )
                self._on_unavailable(exc)
                if self._stopping.wait(delay):
                    raise
                delay = min(2 * delay, RETRY_MAX_SECONDS)
                continue
            if failing_since is not None:
                log.warning(
                    "%s: the database answers again after %.1f s",
                    self._name,
                    time.monotonic() - failing_since,
                )
            return result

    def _attempt(self, task: Task[T]) -> T:
        # One session for the worker's life: a new one per message cost more CPU than
        # the statements it ran.
        if self._session is None:
            self._session = self._sessions()
        session = self._session
        try:
            result = task(session)
            session.commit()
        except BaseException:
            session.info.pop(_AFTER_COMMIT, None)
            session.rollback()
            raise
        for callback in session.info.pop(_AFTER_COMMIT, []):
            callback()
        return result
