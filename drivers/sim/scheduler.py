"""One timer thread for everything a simulator does later.

Send latency, status-report delays, boot times and periodic noise are all entries in
one heap, waited on with a Condition; no thread per timer and no polling loop.

A timed wait wakes a little late (the wake-up, then the lock), 0.1-0.2 ms on a quiet
machine. The thread learns by how much and wakes that much early, so a simulated send
takes its latency on average: the dispatch benchmark measures the gateway against it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# The most a timer fires early: about ten times a slow wake-up.
MAX_EARLY = 0.002


class Scheduler:
    """Runs callbacks after a delay on a single daemon thread."""

    def __init__(self, name: str = "sim-scheduler") -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._stopped = False
        self._early = 0.0  # seconds: how late a timed wait wakes, on a moving average
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._heap.clear()
            self._condition.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def call_later(
        self, delay: float, action: Callable[[], None], *, since: float | None = None
    ) -> None:
        """Run ``action`` ``delay`` seconds after now, or after ``since`` (monotonic)."""
        with self._condition:
            if self._stopped:
                return
            start = time.monotonic() if since is None else since
            entry = (start + max(0.0, delay), next(self._counter), action)
            heapq.heappush(self._heap, entry)
            self._condition.notify_all()

    def cancel_all(self) -> None:
        with self._condition:
            self._heap.clear()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopped and (
                    not self._heap or self._heap[0][0] - self._early > time.monotonic()
                ):
                    timeout = (
                        self._heap[0][0] - self._early - time.monotonic() if self._heap else None
                    )
                    self._condition.wait(timeout)
                if self._stopped:
                    return
                due, _, action = heapq.heappop(self._heap)
                self._learn(time.monotonic() - (due - self._early))
            try:
                action()
            except Exception:
                log.exception("simulator timer failed")

    def _learn(self, overshoot: float) -> None:
        """Fold in how late this wake came; a late entry (one that waited behind another
        action, or was due before it was added) says nothing about waking and is left out."""
        if 0.0 <= overshoot <= MAX_EARLY:
            self._early += (overshoot - self._early) * 0.1
