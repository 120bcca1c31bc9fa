"""GSM 7-bit alphabets (3GPP TS 23.038 6.2.1 and annex A) and septet packing.

A *charset* is a pair of national language identifiers: the locking shift table that
replaces the default alphabet, and the single shift table reached through ESC (0x1B).
Identifier 0 means the default alphabet and its extension table. Only the tables of the
languages in :data:`LANGUAGES` are built in; a message naming another language is decoded
with the default tables, as the spec asks of a receiver that lacks the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from drivers.errors import PduError

ESC = 0x1B

# Index 0x1B is the escape to the single shift table; "\x1b" never matches real text.
_DEFAULT_LOCKING = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_TURKISH_LOCKING = (
    "@£$¥€éùıòÇ\nĞğ\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bŞşßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "İABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§çabcdefghijklmnopqrstuvwxyzäöñüà"
)
_PORTUGUESE_LOCKING = (
    "@£$¥êéúíóç\nÔô\rÁáΔ_ªÇÀ∞^\\€Ó|\x1bÂâÊÉ !\"#º%&'()*+,-./0123456789:;<=>?"
    "ÍABCDEFGHIJKLMNOPQRSTUVWXYZÃÕÚÜ§~abcdefghijklmnopqrstuvwxyzãõ`üà"
)

# Characters every single shift table shares with the default extension table.
_COMMON_SHIFT = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~"}
_COMMON_SHIFT |= {0x3E: "]", 0x40: "|", 0x65: "€"}

_DEFAULT_SINGLE = dict(_COMMON_SHIFT)
_TURKISH_SINGLE = _COMMON_SHIFT | {0x47: "Ğ", 0x49: "İ", 0x53: "Ş", 0x63: "ç", 0x67: "ğ"}
_TURKISH_SINGLE |= {0x69: "ı", 0x73: "ş"}
_SPANISH_SINGLE = _COMMON_SHIFT | {0x09: "ç", 0x41: "Á", 0x49: "Í", 0x4F: "Ó", 0x55: "Ú"}
_SPANISH_SINGLE |= {0x61: "á", 0x69: "í", 0x6F: "ó", 0x75: "ú"}
_PORTUGUESE_SINGLE = _COMMON_SHIFT | {
    0x05: "ê", 0x09: "ç", 0x0B: "Ô", 0x0C: "ô", 0x0E: "Á", 0x0F: "á", 0x12: "Φ", 0x13: "Γ",
    0x15: "Ω", 0x16: "Π", 0x17: "Ψ", 0x18: "Σ", 0x19: "Θ", 0x1F: "Ê", 0x41: "À", 0x49: "Í",
    0x4F: "Ó", 0x55: "Ú", 0x5B: "Ã", 0x5C: "Õ", 0x61: "Â", 0x69: "í", 0x6F: "ó", 0x75: "ú",
    0x7B: "ã", 0x7C: "õ", 0x7F: "â",
}  # fmt: skip

LOCKING_TABLES: dict[int, str] = {0: _DEFAULT_LOCKING, 1: _TURKISH_LOCKING, 3: _PORTUGUESE_LOCKING}
SINGLE_TABLES: dict[int, dict[int, str]] = {
    0: _DEFAULT_SINGLE,
    1: _TURKISH_SINGLE,
    2: _SPANISH_SINGLE,
    3: _PORTUGUESE_SINGLE,
}
# National language identifiers (TS 23.038 6.2.1.2.4) of the built-in tables.
LANGUAGES: dict[str, int] = {"turkish": 1, "spanish": 2, "portuguese": 3}


def language_name(identifier: int) -> str | None:
    """The name under which :data:`LANGUAGES` knows a national language identifier."""
    return next((name for name, ident in LANGUAGES.items() if ident == identifier), None)


@cache
def _encoding_map(locking: int, single: int) -> dict[str, tuple[int, ...]]:
    table: dict[str, tuple[int, ...]] = {
        char: (ESC, septet) for septet, char in SINGLE_TABLES.get(single, _DEFAULT_SINGLE).items()
    }
    # A character in both tables costs one septet from the locking table.
    basic = LOCKING_TABLES.get(locking, _DEFAULT_LOCKING)
    table.update((char, (septet,)) for septet, char in enumerate(basic) if septet != ESC)
    return table


def char_septets(text: str, locking: int = 0, single: int = 0) -> list[tuple[int, ...]] | None:
    """The septets of each character, or None when the charset cannot hold the text.

    Kept per character so that a message can be split between characters and never
    inside an escape sequence.
    """
    table = _encoding_map(locking, single)
    result: list[tuple[int, ...]] = []
    for char in text:
        septets = table.get(char)
        if septets is None:
            return None
        result.append(septets)
    return result


def unencodable(text: str, locking: int = 0, single: int = 0) -> tuple[str, ...]:
    """The distinct characters of ``text`` the charset cannot hold, in order of appearance."""
    table = _encoding_map(locking, single)
    return tuple(dict.fromkeys(char for char in text if char not in table))


def encode(text: str, locking: int = 0, single: int = 0) -> list[int]:
    """Septets for ``text``; PduError if a character is not in the charset."""
    septets = char_septets(text, locking, single)
    if septets is None:
        bad = "".join(unencodable(text, locking, single))
        raise PduError(f"cannot encode {bad!r} in the GSM 7-bit alphabet")
    return [septet for group in septets for septet in group]


def decode(septets: Sequence[int], locking: int = 0, single: int = 0) -> str:
    """Text for ``septets``.

    An escape to a position the single shift table leaves empty shows the locking table's
    character at that position, and ESC ESC (or a lone trailing ESC) shows a space, as
    TS 23.038 6.2.1.1 asks of a receiver.
    """
    basic = LOCKING_TABLES.get(locking, _DEFAULT_LOCKING)
    shift = SINGLE_TABLES.get(single, _DEFAULT_SINGLE)
    chars: list[str] = []
    escaped = False
    for septet in septets:
        if escaped:
            escaped = False
            chars.append(" " if septet == ESC else shift.get(septet, basic[septet]))
        elif septet == ESC:
            escaped = True
        else:
            chars.append(basic[septet])
    if escaped:
        chars.append(" ")
    return "".join(chars)


def pack(septets: Iterable[int], fill_bits: int = 0) -> bytes:
    """Pack septets LSB first, after ``fill_bits`` zero bits (TS 23.038 6.1.2.1.1)."""
    value = 0
    shift = fill_bits
    for septet in septets:
        value |= (septet & 0x7F) << shift
        shift += 7
    return value.to_bytes((shift + 7) // 8, "little")


def unpack(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """The first ``count`` septets packed in ``data`` after ``fill_bits`` bits."""
    if fill_bits + 7 * count > 8 * len(data):
        raise PduError(f"user data holds fewer than {count} septets")
    value = int.from_bytes(data, "little") >> fill_bits
    return [(value >> (7 * index)) & 0x7F for index in range(count)]
