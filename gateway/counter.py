"""The compose box's live counter: how many SMS a text costs and why.

The count comes from :func:`drivers.pdu.segments`, the same plan the encoder sends, so
the browser never guesses: it asks the server and shows the answer.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from drivers.errors import PduError
from drivers.pdu import Encoding, segments

ENCODING_NAMES = {Encoding.GSM7: "GSM-7", Encoding.UCS2: "UCS-2", Encoding.BINARY: "8-bit"}

# Names people recognise for the characters that most often force UCS-2 by accident.
FRIENDLY_NAMES = {
    "\u2018": "curly quote",
    "\u2019": "curly quote",
    "\u201c": "curly quote",
    "\u201d": "curly quote",
    "\u2013": "dash",
    "\u2014": "dash",
    "\u2026": "ellipsis",
    "\u00a0": "non-breaking space",
}


@dataclass(frozen=True)
class Count:
    parts: int
    encoding: str
    remaining: int
    per_part: int
    culprit: str | None  # the first character that forced UCS-2
    summary: str


def character_name(char: str) -> str:
    return FRIENDLY_NAMES.get(char) or unicodedata.name(char, f"U+{ord(char):04X}").lower()


def count(text: str) -> Count:
    """The counter for ``text``; an unsendable text (a lone surrogate) counts as 0 SMS."""
    try:
        counted = segments(text)
    except PduError as exc:
        return Count(0, "", 0, 0, None, f"cannot be sent: {exc}")
    encoding = ENCODING_NAMES[counted.encoding]
    culprit = counted.forcing[0] if counted.forcing else None
    summary = f"{counted.parts} SMS · {encoding}"
    if culprit is not None:
        summary += f" because of {culprit} ({character_name(culprit)})"
    return Count(counted.parts, encoding, counted.remaining, counted.per_part, culprit, summary)
