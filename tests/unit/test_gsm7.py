"""GSM 7-bit alphabets and packing (3GPP TS 23.038 6.1.2.1, 6.2.1, annex A)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drivers.errors import PduError
from drivers.pdu import gsm7

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


@pytest.mark.parametrize(
    ("text", "packed"),
    [
        ("", ""),
        ("hellohello", "E8329BFD4697D9EC37"),  # the TS 23.038 worked example
        ("Hello World!", "C8329BFD065DDF72363904"),
        ("1234567", "31D98C56B3DD00"),  # 7 septets: the last octet keeps 7 spare bits
        ("12345678", "31D98C56B3DD70"),  # 8 septets fill 7 octets exactly
    ],
)
def test_packs_septets_least_significant_bit_first(text: str, packed: str) -> None:
    septets = gsm7.encode(text)
    assert gsm7.pack(septets).hex().upper() == packed
    assert gsm7.decode(gsm7.unpack(bytes.fromhex(packed), len(septets))) == text


def test_fill_bits_shift_the_first_septet_past_a_header() -> None:
    # After a 6-octet UDH, 1 fill bit aligns the text on a septet boundary (9.2.3.24).
    assert gsm7.pack([0x41], fill_bits=1).hex().upper() == "82"
    assert gsm7.unpack(bytes([0x82]), 1, fill_bits=1) == [0x41]


def test_unpack_refuses_to_read_past_the_data() -> None:
    with pytest.raises(PduError, match="fewer than 2 septets"):
        gsm7.unpack(b"\x41", 2)


def test_extension_characters_take_an_escape_and_a_septet() -> None:
    assert gsm7.encode("{€}") == [0x1B, 0x28, 0x1B, 0x65, 0x1B, 0x29]
    assert gsm7.decode([0x1B, 0x28, 0x1B, 0x65, 0x1B, 0x29]) == "{€}"


def test_the_default_table_has_section_sign_and_no_backtick() -> None:
    assert gsm7.encode("§¿¡") == [0x5F, 0x60, 0x40]
    assert gsm7.char_septets("`") is None


def test_an_unknown_escape_shows_the_basic_character_and_esc_esc_a_space() -> None:
    assert gsm7.decode([0x1B, 0x41]) == "A"
    assert gsm7.decode([0x1B, 0x1B, 0x41]) == " A"
    assert gsm7.decode([0x41, 0x1B]) == "A "


def test_characters_outside_the_alphabet_are_named() -> None:
    assert gsm7.unencodable("añ😀ç😀") == ("😀", "ç")
    with pytest.raises(PduError, match="😀"):
        gsm7.encode("a😀")


def test_turkish_locking_shift_replaces_the_basic_table() -> None:
    assert gsm7.encode("ğİş", locking=1) == [0x0C, 0x40, 0x1D]
    assert gsm7.decode([0x0C, 0x40, 0x1D], locking=1) == "ğİş"


def test_national_single_shifts_reach_letters_through_escape() -> None:
    assert gsm7.encode("ı", single=1) == [0x1B, 0x69]
    assert gsm7.encode("á", single=2) == [0x1B, 0x61]
    assert gsm7.encode("õ", single=3) == [0x1B, 0x7C]
    assert gsm7.decode([0x1B, 0x7C], single=3) == "õ"


def test_a_character_in_both_tables_costs_one_septet() -> None:
    # Portuguese locking shift holds ^ and €, which its single shift also has.
    assert gsm7.encode("^€", locking=3, single=3) == [0x16, 0x18]


def test_an_unknown_national_language_decodes_with_the_default_tables() -> None:
    assert gsm7.decode([0x41, 0x1B, 0x65], locking=13, single=13) == "A€"


def test_languages_are_named_by_identifier() -> None:
    assert gsm7.language_name(2) == "spanish"
    assert gsm7.language_name(0) is None


def _android_tables() -> list[dict[str, object]]:
    path = CORPUS / "android" / "gsm7_tables.json"
    if not path.exists():
        pytest.skip("shared corpus not present")
    tables: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))["tables"]
    return tables


@pytest.mark.parametrize(("index", "identifier"), [(0, 0), (1, 1), (2, 2), (3, 3)])
def test_tables_agree_with_android(index: int, identifier: int) -> None:
    table = _android_tables()[index]
    locking = table["locking_shift_basic"]
    if locking is None:
        assert identifier not in gsm7.LOCKING_TABLES
    else:
        assert isinstance(locking, str)
        ours = gsm7.LOCKING_TABLES[identifier]
        assert [c for i, c in enumerate(ours) if i != 0x1B] == [
            c for i, c in enumerate(locking) if i != 0x1B
        ]
    entries = table["single_shift_extension"]
    assert isinstance(entries, list)
    theirs = {int(e["septet_after_esc"], 16): e["char"] for e in entries if e["char"] != "\x1b"}
    theirs = {k: v for k, v in theirs.items() if k != 0x1B}
    assert gsm7.SINGLE_TABLES[identifier] == theirs
