"""The live part counter and GSM-7 transliteration."""

from __future__ import annotations

import pytest

from drivers.errors import PduError
from drivers.pdu import Encoding, Segments, segments, transliterate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Segments(Encoding.GSM7, 1, 0, 160, 160, (), None)),
        ("a" * 160, Segments(Encoding.GSM7, 1, 160, 160, 0, (), None)),
        ("a" * 161, Segments(Encoding.GSM7, 2, 161, 153, 145, (), None)),
        ("€" * 80, Segments(Encoding.GSM7, 1, 160, 160, 0, (), None)),
        ("€" * 81, Segments(Encoding.GSM7, 2, 162, 153, 143, (), None)),
        ("a" * 70 + "😀", Segments(Encoding.UCS2, 2, 72, 67, 62, ("😀",), None)),
        ("ş" * 70, Segments(Encoding.UCS2, 1, 70, 70, 0, ("ş",), None)),
        ("ş" * 71, Segments(Encoding.UCS2, 2, 71, 67, 63, ("ş",), None)),
    ],
)
def test_counter(text: str, expected: Segments) -> None:
    assert segments(text) == expected


def test_escapes_at_a_part_boundary_move_to_the_next_part() -> None:
    # 152 + 2 septets: the euro cannot end part 1 (153 capacity), so part 2 holds it.
    counted = segments("a" * 152 + "€" + "a" * 152)
    assert (counted.parts, counted.characters, counted.remaining) == (3, 306, 153 - 1)


def test_national_language_makes_gsm7_possible() -> None:
    counted = segments("Işık", national_languages=["spanish", "turkish"])
    assert counted.encoding is Encoding.GSM7
    assert counted.national_language == "turkish"
    assert counted.forcing == ()
    # Locking shift alone: a 4-octet header leaves 155 septets.
    assert (counted.characters, counted.per_part) == (4, 155)


def test_the_cheapest_shift_combination_is_chosen() -> None:
    # Spanish only has a single shift table: each accented letter costs an escape.
    counted = segments("canción", national_languages=["spanish"])
    assert (counted.encoding, counted.characters, counted.per_part) == (Encoding.GSM7, 8, 155)


def test_unknown_national_language_is_refused() -> None:
    with pytest.raises(PduError, match="unknown national language"):
        segments("ş", national_languages=["elvish"])


def test_forcing_characters_are_listed_once_in_order() -> None:
    assert segments("“a” ş “b”").forcing == ("“", "”", "ş")


def test_transliteration_in_the_counter() -> None:
    counted = segments("“quoted” – done…", transliterate=True)
    assert (counted.encoding, counted.characters) == (Encoding.GSM7, 18)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("“smart” ‘quotes’", "\"smart\" 'quotes'"),
        ("a – b — c", "a - b - c"),
        ("wait…", "wait..."),
        ("non\u00a0breaking\u2009thin", "non breaking thin"),
        ("zero\u200bwidth", "zerowidth"),
        ("™ © ®", "TM (C) (R)"),
        ("ﬁne", "fine"),
        ("café ação", "café aÇao"),
        ("ç", "Ç"),
        ("emoji 😀 stays", "emoji 😀 stays"),
        ("{[€]}", "{[€]}"),
    ],
)
def test_transliterate(text: str, expected: str) -> None:
    assert transliterate(text) == expected
