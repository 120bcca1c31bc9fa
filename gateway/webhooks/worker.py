"""The webhook delivery thread: wakes when events are committed or a retry falls due.

It sleeps on an :class:`threading.Event` with a timeout (the next retry, at most
``poll_seconds``, which also picks up events other nodes committed), never spinning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from gateway.config import WebhooksSection
from gateway.db import log_failure
from gateway.models import utcnow
from gateway.webhooks.delivery import deliver_due, next_due
from gateway.webhooks.events import on_events

log = logging.getLogger(__name__)


class WebhookWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: WebhooksSection,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def run(self, *, burst: bool = False) -> bool:
        """Deliver until stopped; with ``burst``, until nothing is due. True if any work."""
        worked = False
        while not self._stopping.is_set():
            self._wake.clear()
            with self.sessions() as session:
                tried = deliver_due(session, self.settings, clock=self.clock)
                worked = worked or tried > 0
                if tried:
                    continue
                if burst:
                    return worked
                due = next_due(session)
            self._wake.wait(self._pause(due))
        return worked

    def _pause(self, due: datetime | None) -> float:
        if due is None:
            return self.settings.poll_seconds
        return max(0.0, min(self.settings.poll_seconds, (due - self.clock()).total_seconds()))

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run()
            except Exception as exc:
                # The database may be briefly unreachable; events stay in the outbox.
                log_failure(
                    log, exc, "webhook delivery failed; retrying in %ss", self.settings.poll_seconds
                )
                self._stopping.wait(self.settings.poll_seconds)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> WebhookWorker:
        self._unsubscribe = on_events(self.sessions, self.wake)
        self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Stop after the attempt in progress (bounded by the request timeout)."""
        self._stopping.set()
        self._wake.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._thread is not None:
            self._thread.join(timeout)
