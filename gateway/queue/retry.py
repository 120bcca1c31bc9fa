"""How often and how long to wait when a send fails for a reason that may pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gateway.config import QueueSection


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: ``base``, ``2 * base``, ... capped at ``cap`` seconds."""

    max_attempts: int
    base: float
    cap: float

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be 1 or more")
        if not 0 < self.base <= self.cap:
            raise ValueError("need 0 < base <= cap")

    @classmethod
    def from_config(cls, queue: QueueSection) -> Backoff:
        return cls(queue.max_attempts, queue.backoff_seconds, queue.backoff_max_seconds)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        return timedelta(seconds=min(self.cap, self.base * 2 ** max(attempts - 1, 0)))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
