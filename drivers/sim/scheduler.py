"""One timer thread for everything a simulator does later.

Send latency, status-report delays, boot times and periodic noise are all entries in
one heap, waited on with a Condition; no thread per timer and no polling loop.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Scheduler:
    """Runs callbacks after a delay on a single daemon thread."""

    def __init__(self, name: str = "sim-scheduler") -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._stopped = False
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

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        with self._condition:
            if self._stopped:
                return
            entry = (time.monotonic() + max(0.0, delay), next(self._counter), action)
            heapq.heappush(self._heap, entry)
            self._condition.notify_all()

    def cancel_all(self) -> None:
        with self._condition:
            self._heap.clear()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._condition.wait(timeout)
                if self._stopped:
                    return
                _, _, action = heapq.heappop(self._heap)
            try:
                action()
            except Exception:
                log.exception("simulator timer failed")
