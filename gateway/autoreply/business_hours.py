"""Opening hours per weekday in the business's zone, with holidays closed all day.

The out-of-hours reply goes at most once per contact per closed period. A closed period
is named by the moment it began (the last closing time), so "once per window" is a
lookup of (contact, that moment) and needs no timer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.compliance.quiet_hours import Window

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far back a closed period's start is looked for; beyond it the business is
# taken to be closed for good and every reply shares one period.
LOOKBACK_DAYS = 21
ALWAYS_CLOSED_SINCE = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class BusinessHours:
    """``weekly`` maps a weekday (0 = Monday) to its open window; absent days are closed."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    weekly: Mapping[int, Window] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    def closed_since(self, now: datetime) -> datetime | None:
        """``None`` while open, else the UTC moment the current closed period began."""
        today = now.astimezone(self.zone).date()
        for back in range(LOOKBACK_DAYS):
            day = today - timedelta(days=back)
            window = self.weekly.get(day.weekday())
            if window is None or day in self.holidays:
                continue
            opening = datetime.combine(day, window.start, tzinfo=self.zone)
            closing = datetime.combine(day, window.end, tzinfo=self.zone)
            if opening <= now < closing:
                return None
            if closing <= now:
                return closing.astimezone(UTC)
        return ALWAYS_CLOSED_SINCE

    def is_open(self, now: datetime) -> bool:
        return self.closed_since(now) is None
