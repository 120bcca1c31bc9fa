"""Quiet hours in the recipient's local time.

The zone comes from the contact's override when there is one, else from the number
(``phonenumbers.timezone``). A number that maps to several zones (a Russian mobile, a
US number with a non-geographic area code) is treated conservatively: a time is allowed
only when it is allowed in *every* one of its zones. A number with no known zone falls
back to the business's own zone. Marketing outside the window is deferred to the next
allowed moment, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_zones

UNKNOWN_ZONE = "Etc/Unknown"


@dataclass(frozen=True)
class Window:
    """The allowed part of a local day, ``start`` up to (not including) ``end``."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"the window must start before it ends: {self}")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def allows(self, moment: time) -> bool:
        return self.start <= moment < self.end


def parse_window(text: str) -> Window:
    """``"08:00-21:00"`` -> a :class:`Window`; ``ValueError`` on anything else."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not match:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    start_h, start_m, end_h, end_m = (int(group) for group in match.groups())
    end = time.max if (end_h, end_m) == (24, 0) else time(end_h, end_m)
    return Window(time(start_h, start_m), end)


def _parse_number(number: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None


@dataclass(frozen=True)
class QuietHours:
    """The allowed window per recipient region (ISO code), ``default`` for the rest."""

    default: Window = Window(time(8), time(21))
    regions: Mapping[str, Window] = field(default_factory=dict)
    fallback_zone: str = "UTC"

    def window_for(self, number: str) -> Window:
        parsed = _parse_number(number)
        region = phonenumbers.region_code_for_number(parsed) if parsed else None
        return self.regions.get(region or "", self.default)

    def zones_for(self, number: str, override: str | None = None) -> tuple[ZoneInfo, ...]:
        if override:
            return (ZoneInfo(override),)
        parsed = _parse_number(number)
        names = number_zones.time_zones_for_number(parsed) if parsed else ()
        known = [name for name in names if name != UNKNOWN_ZONE]
        return tuple(ZoneInfo(name) for name in known) or (ZoneInfo(self.fallback_zone),)

    def next_allowed(self, now: datetime, number: str, override: str | None = None) -> datetime:
        """``now`` when sending is allowed now, else the earliest later moment that is."""
        window = self.window_for(number)
        zones = self.zones_for(number, override)
        if _allowed_everywhere(now, zones, window):
            return now
        candidates: set[datetime] = set()
        for zone in zones:
            today = now.astimezone(zone).date()
            for offset in range(-1, 3):
                day = today + timedelta(days=offset)
                opening = datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)
                if opening > now:
                    candidates.add(opening)
        for candidate in sorted(candidates):
            if _allowed_everywhere(candidate, zones, window):
                return candidate
        # The zones' windows never overlap (a window narrower than the zones' spread):
        # honour the first zone alone rather than never sending.
        return min(c for c in candidates if _allowed_everywhere(c, zones[:1], window))


def _allowed_everywhere(moment: datetime, zones: tuple[ZoneInfo, ...], window: Window) -> bool:
    return all(window.allows(moment.astimezone(zone).time()) for zone in zones)
