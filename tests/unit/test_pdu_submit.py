"""SMS-SUBMIT encoding (3GPP TS 23.040 9.2.2.2), checked octet by octet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from drivers.errors import PduError
from drivers.pdu import Concat, Encoding, Submit, decode, encode_submit

HELLO = "0001000B917228001011F100000CC8329BFD065DDF72363904"


def decoded(pdu: str) -> Submit:
    message = decode(pdu)
    assert isinstance(message, Submit)
    return message


def test_single_part_without_status_report() -> None:
    # 01 SUBMIT, MR 00, DA +27820001111, PID 00, DCS 00, UDL 12, "Hello World!" packed.
    (part,) = encode_submit("+27820001111", "Hello World!", request_status_report=False)
    assert part.pdu == HELLO
    assert part.tpdu_length == len(HELLO) // 2 - 1
    assert (part.number, part.total) == (1, 1)


def test_status_report_request_is_on_by_default() -> None:
    (part,) = encode_submit("+27820001111", "Hello World!")
    assert part.pdu == "0021" + HELLO[4:]
    assert decoded(part.pdu).status_report_requested


def test_validity_smsc_and_message_reference() -> None:
    (part,) = encode_submit(
        "+27820001111",
        "Hello World!",
        validity=timedelta(days=3),
        smsc="+31624000000",
        message_reference=0x2A,
        request_status_report=False,
    )
    # SMSC field, 11 = SUBMIT + relative VPF, MR 2A, ..., VP A9 (3 days), then the text.
    assert part.pdu == "07911326040000F0" + "112A0B917228001011F10000A9" + HELLO[-24:]
    assert part.tpdu_length == len(part.pdu) // 2 - 8
    message = decoded(part.pdu)
    assert message.validity == timedelta(days=3)
    assert message.smsc == "+31624000000"
    assert message.message_reference == 0x2A


def test_ucs2_when_gsm7_cannot_hold_the_text() -> None:
    (part,) = encode_submit(
        "+123456789",
        "世界您好！",
        smsc="+44000000000",
        validity=timedelta(weeks=52),
        request_status_report=False,
    )
    assert part.pdu == "07914400000000F01100099121436587F90008F40A4E16754C60A8597DFF01"


def test_national_number_destination() -> None:
    (part,) = encode_submit("0123", "A", request_status_report=False)
    assert part.pdu == "0001000481103200000141"
    assert decoded(part.pdu).recipient.number == "0123"


def test_eight_bit_reference_concatenation_with_fill_bit() -> None:
    parts = encode_submit("+4477", "a" * 161, concat_reference=0xAA, request_status_report=False)
    assert [(p.number, p.total) for p in parts] == [(1, 2), (2, 2)]
    first = parts[0].pdu
    # 41 SUBMIT + UDHI, UDL A0 = 7 header septets + 153 text septets, UDH 050003AA0201,
    # then "a" (0x61) shifted past one fill bit: C2.
    assert first.startswith("0041000491447700" + "00A0" + "050003AA0201" + "C2")
    assert parts[1].pdu.startswith("0041010491447700000F050003AA0202")
    messages = [decoded(p.pdu) for p in parts]
    assert [m.concat for m in messages] == [Concat(0xAA, 2, 1, 8), Concat(0xAA, 2, 2, 8)]
    assert [len(m.text) for m in messages] == [153, 8]


def test_sixteen_bit_reference_concatenation() -> None:
    parts = encode_submit("+4477", "b" * 161, concat_reference=0x1234, use_16bit_reference=True)
    assert len(parts) == 2
    # A 7-octet header is exactly 8 septets: no fill bits, 152 text septets per part.
    assert "00A0" + "06080412340201" in parts[0].pdu
    messages = [decoded(p.pdu) for p in parts]
    assert messages[0].concat == Concat(0x1234, 2, 1, 16)
    assert [len(m.text) for m in messages] == [152, 9]


def test_each_part_gets_the_next_message_reference() -> None:
    parts = encode_submit("+4477", "c" * 200, message_reference=255)
    assert [decoded(p.pdu).message_reference for p in parts] == [255, 0]


def test_an_escape_sequence_is_never_split() -> None:
    text = "a" * 152 + "€" + "b" * 10  # the euro would straddle septets 153 and 154
    parts = [decoded(p.pdu).text for p in encode_submit("+4477", text)]
    assert parts == ["a" * 152, "€" + "b" * 10]


def test_a_surrogate_pair_is_never_split() -> None:
    text = "ab" + "😀" * 40  # 82 UTF-16 units; part 1 can hold 67
    parts = [decoded(p.pdu) for p in encode_submit("+4477", text)]
    assert [p.encoding for p in parts] == [Encoding.UCS2, Encoding.UCS2]
    assert parts[0].text == "ab" + "😀" * 32
    assert "".join(p.text for p in parts) == text


def test_national_shift_tables_only_when_asked() -> None:
    text = "Işık ğüzel"
    assert decoded(encode_submit("+90", text)[0].pdu).encoding is Encoding.UCS2
    (part,) = encode_submit("+90", text, national_languages=["turkish"])
    message = decoded(part.pdu)
    assert message.encoding is Encoding.GSM7
    assert message.text == text
    assert message.user_data_header in (bytes.fromhex("03250101"), bytes.fromhex("03240101"))


def test_transliteration_keeps_typographic_text_in_gsm7() -> None:
    (part,) = encode_submit("+4477", "“Hi” — it’s…", transliterate=True)
    message = decoded(part.pdu)
    assert (message.encoding, message.text) == (Encoding.GSM7, '"Hi" - it\'s...')


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: encode_submit("MyBank", "hi"), "not a phone number"),
        (lambda: encode_submit("+44 7700", "hi"), "not a phone number"),
        (lambda: encode_submit("+4477", "hi", concat_reference=256), "8 bits"),
        (lambda: encode_submit("+4477", "hi", concat_reference=-1), "8 bits"),
        (
            lambda: encode_submit("+4477", "hi", concat_reference=65536, use_16bit_reference=True),
            "16 bits",
        ),
        (lambda: encode_submit("+4477", "hi", message_reference=256), "not an octet"),
        (lambda: encode_submit("+4477", "hi", validity=timedelta(0)), "positive"),
        (lambda: encode_submit("+4477", "hi", smsc="smsc"), "not a phone number"),
        (lambda: encode_submit("+4477", "x\ud800"), "lone surrogate"),
        (
            lambda: encode_submit("+4477", "ş", national_languages=["klingon"]),
            "unknown national language",
        ),
        (lambda: encode_submit("+4477", "a" * 153 * 256), "at most 255"),
    ],
)
def test_bad_input_is_a_pdu_error(call: Callable[[], object], match: str) -> None:
    with pytest.raises(PduError, match=match):
        call()
