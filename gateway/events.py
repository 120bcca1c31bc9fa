"""A small in-process event bus for live UI updates (streamed as server-sent events).

Publishing never blocks a worker: each subscriber has a bounded queue, and when a slow
reader lets it fill, its oldest event is dropped and counted in ``lost`` so the page can
reload what it missed. Events are published after the commit of the change they
announce, so a reader that reacts by querying sees it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

DEFAULT_QUEUE_SIZE = 256


@dataclass(frozen=True)
class LiveEvent:
    id: int
    type: str  # "message.received", "message.status", "conversation.updated", ...
    data: Mapping[str, Any]


class Subscription:
    def __init__(self, bus: EventBus, size: int) -> None:
        self._bus = bus
        self._queue: queue.Queue[LiveEvent] = queue.Queue(size)
        self.lost = 0

    def get(self, timeout: float) -> LiveEvent | None:
        """The next event, or ``None`` when none came within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def offer(self, event: LiveEvent) -> None:
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.lost += 1
                except queue.Empty:
                    pass

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()


class EventBus:
    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()
        self._last_id = 0
        self._closed = threading.Event()

    @property
    def last_id(self) -> int:
        """The id of the newest event so far (0 before the first): a page rendered now
        has seen everything up to it, so a stream it opens later can tell what it missed."""
        return self._last_id

    @property
    def closed(self) -> bool:
        """Set when the gateway stops: open streams end, so the web server's threads are
        free to finish instead of holding shutdown until each stream's timeout."""
        return self._closed.is_set()

    def close(self) -> None:
        self._closed.set()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, self._queue_size)
        with self._lock:
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    def publish(self, type: str, data: Mapping[str, Any]) -> LiveEvent:
        with self._lock:
            self._last_id += 1
            event = LiveEvent(self._last_id, type, data)
            for subscription in self._subscribers:
                subscription.offer(event)
        return event
