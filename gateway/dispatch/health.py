"""What the UI, the API and /metrics show about each modem."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class ModemHealth:
    """A snapshot; the worker keeps the live one and hands out copies."""

    name: str
    connected: bool = False
    sent: int = 0  # messages
    sent_parts: int = 0
    failed: int = 0
    retries: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_latency: float | None = None  # seconds for the last AT+CMGS transaction(s)
    average_latency: float | None = None  # exponentially weighted
    sent_today: int = 0  # SMS parts, against daily_cap
    daily_cap: int = 0
    cooldown_until: datetime | None = None
    down_reason: str | None = None


class HealthRecorder:
    """The live counters of one worker, safe to read from other threads."""

    _SMOOTHING = 0.2

    def __init__(self, name: str, daily_cap: int) -> None:
        self._lock = threading.Lock()
        self._health = ModemHealth(name=name, daily_cap=daily_cap)

    def snapshot(self) -> ModemHealth:
        with self._lock:
            return self._health

    def update(self, **changes: object) -> None:
        with self._lock:
            self._health = replace(self._health, **changes)  # type: ignore[arg-type]

    def sent(self, parts: int, latency: float, sent_today: int) -> None:
        with self._lock:
            health = self._health
            average = health.average_latency
            average = (
                latency if average is None else average + self._SMOOTHING * (latency - average)
            )
            self._health = replace(
                health,
                sent=health.sent + 1,
                sent_parts=health.sent_parts + parts,
                last_latency=latency,
                average_latency=average,
                sent_today=sent_today,
            )

    def error(self, message: str, at: datetime, *, failed: bool, retried: bool) -> None:
        with self._lock:
            health = self._health
            self._health = replace(
                health,
                failed=health.failed + failed,
                retries=health.retries + retried,
                last_error=message,
                last_error_at=at,
            )
