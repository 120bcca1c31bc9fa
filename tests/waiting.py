"""Waiting for what another thread or process does: the condition, not the clock, decides."""

from __future__ import annotations

import threading
from collections.abc import Callable

WAIT_SECONDS = 30.0


def eventually(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> bool:
    """Whether ``condition`` became true within ``timeout`` seconds (checked every 0.1 s)."""
    pause = threading.Event()
    for _ in range(int(timeout / 0.1)):
        if condition():
            return True
        pause.wait(0.1)
    return condition()
