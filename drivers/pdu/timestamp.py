"""Service-centre time stamps and validity periods (TS 23.040 9.2.3.11, 9.2.3.12)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from drivers.errors import PduError
from drivers.pdu.reader import Reader

_QUARTER = timedelta(minutes=15)
# Two-digit years from 90 on are the 1990s: SMS did not exist before them.
_CENTURY_PIVOT = 90


def _swapped(octet: int) -> int:
    """A semi-octet pair read as a number; PduError unless both digits are decimal."""
    low, high = octet & 0x0F, octet >> 4
    if low > 9 or high > 9:
        raise PduError(f"time stamp octet {octet:02X} is not two decimal digits")
    return low * 10 + high


def read_timestamp(reader: Reader, field: str) -> datetime:
    """Read a 7-octet time stamp as a timezone-aware datetime."""
    raw = reader.take(7, field)
    year, month, day, hour, minute, second = (_swapped(octet) for octet in raw[:6])
    zone = raw[6]
    # Bit 3 of the first digit is the sign. The units digit is taken as it comes, because
    # some modems (ZTE, python-gsmmodem issue 15) put a hex digit there.
    quarters = (zone & 0x07) * 10 + (zone >> 4)
    offset = -quarters * _QUARTER if zone & 0x08 else quarters * _QUARTER
    century = 1900 if year >= _CENTURY_PIVOT else 2000
    try:
        return datetime(century + year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        raise PduError(f"{field} is not a valid date and time: {raw.hex().upper()}") from None


def encode_timestamp(moment: datetime) -> bytes:
    """The 7-octet form of a timezone-aware datetime (whole quarter-hour offset)."""
    offset = moment.utcoffset()
    if offset is None:
        raise PduError("time stamp needs a timezone-aware datetime")
    quarters, rest = divmod(abs(offset), _QUARTER)
    if rest or not 1990 <= moment.year < 2090:
        raise PduError(f"cannot encode {moment.isoformat()} as an SMS time stamp")
    fields = (moment.year % 100, moment.month, moment.day, moment.hour, moment.minute)
    octets = [(value % 10) << 4 | value // 10 for value in (*fields, moment.second, quarters)]
    if offset < timedelta(0):
        octets[6] |= 0x08
    return bytes(octets)


# Relative validity (TS 23.040 9.2.3.12.1): four ranges of steps, ending at these codes.
_RELATIVE_RANGES = (
    (143, timedelta(minutes=5), timedelta(0), -1),
    (167, timedelta(minutes=30), timedelta(hours=12), 143),
    (196, timedelta(days=1), timedelta(0), 166),
    (255, timedelta(weeks=1), timedelta(0), 192),
)


def relative_validity(code: int) -> timedelta:
    """The period a TP-VP relative-format octet stands for."""
    for last, step, base, origin in _RELATIVE_RANGES:
        if code <= last:
            return base + (code - origin) * step
    raise PduError(f"relative validity code {code} out of range")


def encode_relative_validity(period: timedelta) -> int:
    """The smallest TP-VP code whose period is at least ``period``."""
    if period <= timedelta(0):
        raise PduError("validity period must be positive")
    for last, step, base, origin in _RELATIVE_RANGES:
        if period <= relative_validity(last):
            steps = -(-(period - base) // step)
            return max(origin + steps, 0 if origin < 0 else origin + 1)
    raise PduError(f"validity period {period} is longer than 63 weeks")
