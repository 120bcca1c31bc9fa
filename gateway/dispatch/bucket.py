"""Per-SIM pacing: a token bucket whose refill interval wobbles at random.

Carriers flag SIMs that send like machines, so each token costs a random interval
around ``60 / rate`` seconds; the average rate stays what the configuration says.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate_per_minute: float
    jitter: float = 0.0
    capacity: float = 1.0
    rng: random.Random = field(default_factory=random.Random)
    _tokens: float = field(init=False)
    _updated: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.rate_per_minute <= 0 or self.capacity < 1 or not 0 <= self.jitter < 1:
            raise ValueError("need rate > 0, capacity >= 1 and 0 <= jitter < 1")
        self._tokens = self.capacity

    @property
    def interval(self) -> float:
        return 60.0 / self.rate_per_minute

    def _refill(self, now: float) -> None:
        if self._updated is not None:
            gained = (now - self._updated) / self.interval
            self._tokens = min(self.capacity, self._tokens + gained)
        self._updated = now

    def delay(self, now: float) -> float:
        """Seconds from ``now`` (a monotonic time) until one token is there."""
        self._refill(now)
        return max(0.0, (1.0 - self._tokens) * self.interval)

    def take(self, count: int, now: float) -> None:
        """Spend ``count`` tokens (one per SMS part); the bucket may go into debt."""
        self._refill(now)
        factor = self.rng.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else 1.0
        self._tokens -= count * factor
