"""Per-contact frequency caps for marketing: at most ``limit`` in any ``window``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class FrequencyCap:
    """``limit`` 0 switches the cap off."""

    limit: int = 3
    window: timedelta = timedelta(hours=24)

    def next_free(self, recent: Iterable[datetime], now: datetime) -> datetime | None:
        """``None`` when one more may go at ``now``, else when the oldest counted send expires.

        ``recent`` are the times earlier marketing messages went (or will go) to the
        contact; those outside the window ending at ``now`` are ignored.
        """
        if self.limit == 0:
            return None
        inside = sorted(sent for sent in recent if now - self.window < sent <= now)
        if len(inside) < self.limit:
            return None
        return inside[len(inside) - self.limit] + self.window
