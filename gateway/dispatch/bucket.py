"""Per-SIM pacing: one part per interval, the interval wobbling at random.

Carriers flag SIMs that send like machines, so each part costs a random interval
around ``60 / rate`` seconds (uniform within ``1 +- jitter``: the mean is exact).

The bucket keeps a schedule (when the next part may go) rather than a balance, and a
send that starts a little late (thread wake-up, the GIL, a slow commit) is charged
from the time it was due, as long as it is no more than ``slack`` intervals late. So
small delays do not add up: the long-run rate is the configured one. Without that, a
fast SIM loses a larger share of its rate to the same few milliseconds than a slow
one, and the SIMs' shares drift away from their rates. A longer gap is idleness, not
lateness: the schedule starts afresh and nothing is saved up for a burst.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate_per_minute: float
    jitter: float = 0.0
    slack: float = 0.5  # lateness still charged from the due time, in intervals
    rng: random.Random = field(default_factory=random.Random)
    _due: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.rate_per_minute <= 0 or not 0 <= self.jitter < 1 or not 0 <= self.slack < 1:
            raise ValueError("need rate > 0, 0 <= jitter < 1 and 0 <= slack < 1")

    @property
    def interval(self) -> float:
        return 60.0 / self.rate_per_minute

    def delay(self, now: float) -> float:
        """Seconds from ``now`` (a monotonic time) until the next part may go."""
        return 0.0 if self._due is None else max(0.0, self._due - now)

    def take(self, count: int, now: float) -> None:
        """Charge ``count`` parts to a send starting at ``now``; early sends go into debt."""
        factor = self.rng.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else 1.0
        due = self._due
        start = due if due is not None and now <= due + self.slack * self.interval else now
        self._due = start + count * factor * self.interval
