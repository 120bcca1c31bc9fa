"""Quiet hours in the recipient's local time.

The zone comes from the contact's override when there is one, else from the number
(``phonenumbers.timezone``). A number that maps to several zones (a Russian mobile, a
US number with a non-geographic area code) is treated conservatively: a time is allowed
only when it is allowed in *every* one of its zones. A number with no known zone falls
back to the business's own zone. Marketing outside the window is deferred to the next
allowed moment, never dropped.

A campaign asks this for every recipient, so the work follows what each answer depends
on. Which of its zones phonenumbers gives a number depends on all its digits (its
validity and type choose between the zones of its prefix, of its country and none), and
costs more than everything else here; but the zones it *can* give are fixed by the
calling code: those of every prefix in its zone table that starts the calling code or
starts with it, plus the fallback. When the moment is allowed in all of those, under
every window the calling code's regions may have, it is allowed whichever applies, and
the number is not even parsed. Everything keyed by zones is cached (zone objects by
name, the zones of a calling code, whether a moment is allowed, the next allowed
moment): the arguments are all those results depend on, and a campaign's recipients
share a handful of zone sets and usually one moment. Otherwise a number is parsed once
per question and asked for its region only when a configured window could apply to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers import timezone as number_zones
from phonenumbers.tzdata import TIMEZONE_DATA

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


_E164_DIGITS = re.compile(r"\+([1-9][0-9]*)")


def _calling_code(number: str) -> int | None:
    """The calling code phonenumbers would read from ``number``, without parsing it.

    Only for plain ``+digits``: phonenumbers takes the first one to three digits that
    are a calling code (none is a prefix of another). If it then rejects the number,
    the answer is the fallback zone and the default window, which the zones and
    windows of a calling code include.
    """
    match = _E164_DIGITS.fullmatch(number)
    if match is None:
        return None
    digits = match.group(1)
    codes = (int(digits[:length]) for length in (1, 2, 3))
    return next((code for code in codes if code in COUNTRY_CODE_TO_REGION_CODE), None)


@lru_cache(maxsize=1024)
def _zones(names: tuple[str, ...]) -> tuple[ZoneInfo, ...]:
    # Bounded: phonenumbers' zone lists and IANA names are a few hundred.
    return tuple(ZoneInfo(name) for name in names)


@lru_cache(maxsize=1024)
def _calling_code_zones(country_code: int, fallback: str) -> tuple[ZoneInfo, ...] | None:
    """Every zone a number with ``country_code`` can be given; None if one does not load.

    phonenumbers takes a number's zones from the longest prefix of its E.164 digits (or
    of its calling code) in its table, so from a key that is a prefix of the calling
    code or starts with it; a number it cannot place gets ``fallback`` here.
    """
    code = str(country_code)
    names = {fallback}
    for prefix, zones in TIMEZONE_DATA.items():
        if prefix.startswith(code) or code.startswith(prefix):
            names.update(zones)
    names.discard(UNKNOWN_ZONE)
    try:
        return _zones(tuple(sorted(names)))
    except ZoneInfoNotFoundError:
        return None  # unknown to this system's tzdata: look the number up, as always


@dataclass(frozen=True)
class QuietHours:
    """The allowed window per recipient region (ISO code), ``default`` for the rest."""

    default: Window = Window(time(8), time(21))
    regions: Mapping[str, Window] = field(default_factory=dict)
    fallback_zone: str = "UTC"

    def window_for(self, number: str) -> Window:
        return self._window(_parse_number(number))

    def zones_for(self, number: str, override: str | None = None) -> tuple[ZoneInfo, ...]:
        if override:
            return _zones((override,))
        return self._number_zones(_parse_number(number))

    def next_allowed(self, now: datetime, number: str, override: str | None = None) -> datetime:
        """``now`` when sending is allowed now, else the earliest later moment that is."""
        if not override and self._allowed_in_any_zone(now, _calling_code(number)):
            return now
        parsed = _parse_number(number)
        zones = _zones((override,)) if override else self._number_zones(parsed)
        return _later_opening(now, self._window(parsed), zones) or now

    def _allowed_in_any_zone(self, now: datetime, code: int | None) -> bool:
        """Is ``now`` allowed whichever zone and window a number with ``code`` may have?"""
        zones = _calling_code_zones(code, self.fallback_zone) if code else None
        if zones is None:
            return False
        windows = {self.default, *self._region_windows(code)}
        return all(_allowed_now(now, zones, window) for window in windows)

    def _region_windows(self, code: int | None) -> list[Window]:
        """The windows configured for the regions calling code ``code`` serves.

        A number's region is one of its calling code's (or none), so when this is empty
        its window is the default without asking phonenumbers which region it is.
        """
        regions = phonenumbers.region_codes_for_country_code(code) if code else ()
        return [self.regions[region] for region in regions if region in self.regions]

    def _window(self, parsed: phonenumbers.PhoneNumber | None) -> Window:
        if parsed is None or not self._region_windows(parsed.country_code):
            return self.default
        region = phonenumbers.region_code_for_number(parsed)
        return self.regions.get(region or "", self.default)

    def _number_zones(self, parsed: phonenumbers.PhoneNumber | None) -> tuple[ZoneInfo, ...]:
        names = number_zones.time_zones_for_number(parsed) if parsed else ()
        known = tuple(name for name in names if name != UNKNOWN_ZONE)
        return _zones(known or (self.fallback_zone,))


@lru_cache(maxsize=4096)
def _later_opening(now: datetime, window: Window, zones: tuple[ZoneInfo, ...]) -> datetime | None:
    """``None`` when ``now`` is allowed in every zone, else the earliest later moment that is."""
    if _allowed_now(now, zones, window):
        return None
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


# The question a campaign asks once per recipient, mostly with one moment and few zone sets.
_allowed_now = lru_cache(maxsize=4096)(_allowed_everywhere)
