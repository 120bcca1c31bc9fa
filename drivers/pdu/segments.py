"""How a text splits into SMS parts: shared by the UI counter and the encoders.

The encoders and :func:`segments` use the same :func:`plan`, so the counter a user sees is
the number of PDUs that go out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from drivers.errors import PduError
from drivers.pdu import gsm7, udh
from drivers.pdu.transliterate import transliterate as to_gsm7
from drivers.pdu.userdata import MAX_OCTETS, Encoding

MAX_PARTS = 255


@dataclass(frozen=True)
class Segments:
    """What the UI counter and cost estimate show."""

    encoding: Encoding
    parts: int
    characters: int
    per_part: int
    remaining: int
    forcing: tuple[str, ...]
    national_language: str | None


@dataclass(frozen=True)
class Plan:
    """A text cut into parts: septets (GSM-7) or UTF-16 code units (UCS-2) per part."""

    encoding: Encoding
    parts: tuple[tuple[int, ...], ...]
    per_part: int
    locking_shift: int
    single_shift: int
    forcing: tuple[str, ...]

    def header(self, concat: udh.Concat | None) -> udh.Header:
        return udh.Header(concat, self.single_shift, self.locking_shift)


def plan(
    text: str,
    *,
    transliterate: bool = False,
    national_languages: Sequence[str] = (),
    reference_bits: Literal[8, 16] = 8,
) -> Plan:
    """Choose the encoding and cut ``text`` into parts.

    GSM-7 with the default tables when it holds the text; else GSM-7 with whichever of the
    given national languages' shift tables needs the fewest parts; else UCS-2. Parts are
    cut between characters, so an escape sequence or a surrogate pair is never split.
    """
    if transliterate:
        text = to_gsm7(text)
    groups = gsm7.char_septets(text)
    if groups is not None:
        return _cut(Encoding.GSM7, groups, 0, 0, (), reference_bits)
    candidates = []
    for name in national_languages:
        ident = gsm7.LANGUAGES.get(name.lower())
        if ident is None:
            known = ", ".join(gsm7.LANGUAGES)
            raise PduError(f"unknown national language {name!r} (known: {known})")
        for locking, single in ((0, ident), (ident, 0), (ident, ident)):
            if locking not in gsm7.LOCKING_TABLES:
                continue
            groups = gsm7.char_septets(text, locking, single)
            if groups is not None:
                candidates.append(_cut(Encoding.GSM7, groups, locking, single, (), reference_bits))
    if candidates:
        return min(candidates, key=lambda c: (len(c.parts), sum(map(len, c.parts))))
    return _cut(Encoding.UCS2, _utf16_units(text), 0, 0, gsm7.unencodable(text), reference_bits)


def _utf16_units(text: str) -> list[tuple[int, ...]]:
    groups = []
    for char in text:
        try:
            encoded = char.encode("utf-16-be")
        except UnicodeEncodeError:
            raise PduError(f"text contains a lone surrogate U+{ord(char):04X}") from None
        pairs = range(0, len(encoded), 2)
        groups.append(tuple(int.from_bytes(encoded[i : i + 2], "big") for i in pairs))
    return groups


def _capacity(encoding: Encoding, header: udh.Header) -> int:
    octets = MAX_OCTETS - udh.header_octets(header)
    return octets * 8 // 7 if encoding is Encoding.GSM7 else octets // 2


def _cut(
    encoding: Encoding,
    groups: Sequence[tuple[int, ...]],
    locking: int,
    single: int,
    forcing: tuple[str, ...],
    reference_bits: Literal[8, 16],
) -> Plan:
    single_capacity = _capacity(encoding, udh.Header(None, single, locking))
    units = [unit for group in groups for unit in group]
    if len(units) <= single_capacity:
        return Plan(encoding, (tuple(units),), single_capacity, locking, single, forcing)
    concat = udh.Concat(0, 1, 1, reference_bits)
    capacity = _capacity(encoding, udh.Header(concat, single, locking))
    parts: list[tuple[int, ...]] = []
    current: list[int] = []
    for group in groups:
        if len(current) + len(group) > capacity:
            parts.append(tuple(current))
            current = []
        current.extend(group)
    parts.append(tuple(current))
    return Plan(encoding, tuple(parts), capacity, locking, single, forcing)


def segments(
    text: str, *, transliterate: bool = False, national_languages: Sequence[str] = ()
) -> Segments:
    """The live counter for ``text`` as :func:`encode_submit` would send it (8-bit reference)."""
    cut = plan(text, transliterate=transliterate, national_languages=national_languages)
    language = gsm7.language_name(cut.locking_shift or cut.single_shift)
    return Segments(
        encoding=cut.encoding,
        parts=len(cut.parts),
        characters=sum(map(len, cut.parts)),
        per_part=cut.per_part,
        remaining=cut.per_part - len(cut.parts[-1]),
        forcing=cut.forcing,
        national_language=language,
    )
