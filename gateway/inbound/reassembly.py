"""Joining the parts of a concatenated SMS.

Parts arrive out of order, twice (a network resend), or never. The parts themselves
are kept in the database until their message is whole (see :mod:`gateway.inbound.pipeline`),
so a restart loses nothing; this module only decides what the joined text is and when
waiting for the rest is over. A message whose parts stop coming is stored as received,
with a visible gap mark where each missing part belongs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

GAP = "[…]"


@dataclass(frozen=True)
class PartKey:
    """Parts belong together when sender, concatenation reference and part count agree."""

    sender: str
    reference: int
    total: int


@dataclass(frozen=True)
class Part:
    number: int  # 1-based, as in the user data header
    text: str


@dataclass(frozen=True)
class Assembled:
    text: str
    missing: tuple[int, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def assemble(parts: Iterable[Part], total: int) -> Assembled:
    """The text of parts 1..``total`` in order; the first copy of a duplicate wins.

    Part numbers outside 1..``total`` (a corrupt header) are ignored; each missing part
    becomes :data:`GAP`.
    """
    texts: dict[int, str] = {}
    for part in parts:
        if 1 <= part.number <= total:
            texts.setdefault(part.number, part.text)
    missing = tuple(number for number in range(1, total + 1) if number not in texts)
    return Assembled("".join(texts.get(n, GAP) for n in range(1, total + 1)), missing)


def expired(first_seen: datetime, now: datetime, timeout: timedelta) -> bool:
    """Whether a message whose first part came at ``first_seen`` waited long enough."""
    return now - first_seen >= timeout
