"""The node's send side: a worker per configured modem, the clock jobs, the node lease.

APScheduler is only a clock here (STYLE.md point 10): its jobs move due rows to
``queued`` and renew the lease; what to send lives in the database alone.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session, sessionmaker

from gateway.compliance.gate import PolicySource
from gateway.config import Config
from gateway.db import log_failure
from gateway.dispatch.health import ModemHealth
from gateway.dispatch.worker import EventHandler, ModemWorker, SweepHandler
from gateway.models import utcnow
from gateway.queue import Work, drop_lease, enqueue_due, on_work, recover_stale, renew_lease

log = logging.getLogger(__name__)

DUE_CHECK_SECONDS = 1.0


class Dispatcher:
    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], datetime] = utcnow,
        on_event: EventHandler | None = None,
        on_sweep: SweepHandler | None = None,
        rules: PolicySource | None = None,
    ) -> None:
        self.node = config.queue.node or socket.gethostname()
        self._config = config
        self._sessions = sessions
        self._clock = clock
        self._lease = timedelta(seconds=config.queue.lease_seconds)
        self.workers = {
            section.name: ModemWorker(
                section,
                config,
                sessions,
                node=self.node,
                clock=clock,
                on_event=on_event,
                on_sweep=on_sweep,
                rules=rules,
            )
            for section in config.modems
        }
        self._rotation = list(self.workers.values())  # who is woken first for new work
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        """Take the lease, recover what this node left in ``sending``, start the workers."""
        now = self._clock()
        with self._sessions() as session:
            renew_lease(session, self.node, now, self._lease)
            recovered = recover_stale(
                session,
                now,
                resend_unknown=self._config.gateway.resend_unknown,
                restarted=self.node,
            )
        if recovered:
            log.warning("%d message(s) were being sent when the gateway stopped", len(recovered))
        self._unsubscribe = on_work(self._sessions, self.wake)
        for worker in self.workers.values():
            worker.start()
        self._scheduler.add_job(
            self._make_due, "interval", seconds=DUE_CHECK_SECONDS, max_instances=1
        )
        self._scheduler.add_job(
            self._heartbeat, "interval", seconds=self._lease.total_seconds() / 3, max_instances=1
        )
        self._scheduler.start()

    def stop(self) -> None:
        """Let every send in progress finish, close the modems, give up the lease."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for worker in self.workers.values():
            worker.stop()
        try:
            with self._sessions() as session:
                drop_lease(session, self.node)
        except Exception as exc:
            # Stopping must not fail for it: the lease runs out, and the next start (or
            # another node) settles what this one left in ``sending``.
            log_failure(log, exc, "could not give up the lease of node %s", self.node)

    def wake(self, work: Work | None = None) -> None:
        """Wake the workers ``work`` concerns (all of them when it does not say).

        A message for one modem wakes that modem's worker; a message any modem may send
        wakes one idle worker, taken in turn so that a trickle spreads over the modems.
        When none is idle every worker is woken: each then claims once its send is done
        (a worker that was not woken does not ask the queue again after a send).
        """
        if work is None or work.everyone:
            for worker in self.workers.values():
                worker.wake(backlog=True)
            return
        anyone = work.anyone
        for modem, count in work.pinned.items():
            asked = self.workers.get(modem)
            if asked is None:
                anyone += count  # a modem of another node, or one no longer configured
            else:
                asked.wake()
        for _ in range(anyone):
            idle = next((w for w in self._rotation if w.idle), None)
            if idle is None:
                for worker in self._rotation:
                    worker.wake()
                return
            self._rotation.remove(idle)
            self._rotation.append(idle)
            idle.wake()

    def health(self) -> list[ModemHealth]:
        return [worker.health() for worker in self.workers.values()]

    def _make_due(self) -> None:
        try:
            with self._sessions() as session:
                enqueue_due(session, self._clock())
        except Exception as exc:  # the next tick tries again
            log_failure(log, exc, "could not queue the messages that are due")

    def _heartbeat(self) -> None:
        """Renew this node's lease and recover the rows of nodes whose lease ran out."""
        now = self._clock()
        try:
            with self._sessions() as session:
                renew_lease(session, self.node, now, self._lease)
                recovered = recover_stale(
                    session, now, resend_unknown=self._config.gateway.resend_unknown
                )
        except Exception as exc:  # the next beat tries again, well within the lease
            log_failure(log, exc, "could not renew the lease of node %s", self.node)
            return
        if recovered:
            log.warning("recovered %d message(s) from a node that stopped", len(recovered))
