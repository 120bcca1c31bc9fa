"""Decoding SMS-DELIVER, SMS-SUBMIT and SMS-STATUS-REPORT PDUs (3GPP TS 23.040 9.2.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from drivers.errors import PduError
from drivers.pdu import Address, Concat, Deliver, Encoding, StatusReport, Submit, decode

UTC_PLUS_2 = timezone(timedelta(hours=2))
# No SMSC, 04 DELIVER (no more messages), OA +27821234567, PID 00, then DCS.
DELIVER_HEAD = "00040B917228214365F700"
STAMP = "31308051206180"  # 2013-03-08 15:02:16 +02:00
# The same with UDHI (44).
DELIVER_UDH_HEAD = "00440B917228214365F700"
# No SMSC, 06 STATUS-REPORT, MR 2A, RA +447700900123.
REPORT_HEAD = "00062A0C91447700091032"
REPORT_TIMES = "42102030405000" + "42102030405100"


def deliver(pdu: str, **kwargs: bool) -> Deliver:
    message = decode(pdu, **kwargs)
    assert isinstance(message, Deliver)
    return message


def report(pdu: str) -> StatusReport:
    message = decode(pdu)
    assert isinstance(message, StatusReport)
    return message


def test_gsm7_deliver() -> None:
    message = deliver(DELIVER_HEAD + "00" + STAMP + "05D4F29C2E03")
    assert message.text == "Test2"
    assert message.sender == Address("+27821234567", "international")
    assert message.timestamp == datetime(2013, 3, 8, 15, 2, 16, tzinfo=UTC_PLUS_2)
    assert (message.encoding, message.dcs, message.message_class) == (Encoding.GSM7, 0, None)
    assert (message.smsc, message.concat, message.user_data_header) == (None, None, b"")


def test_smsc_field_can_be_absent() -> None:
    assert deliver(DELIVER_HEAD[2:] + "00" + STAMP + "05D4F29C2E03", has_smsc=False).text == "Test2"


def test_gsm7_concatenated_part_skips_the_fill_bit() -> None:
    # UDL 9 = 7 septets of 6-octet header (+1 fill bit) and "Hi".
    message = deliver(DELIVER_UDH_HEAD + "00" + STAMP + "09" + "050003AA0201" + "9069")
    assert message.text == "Hi"
    assert message.concat == Concat(0xAA, 2, 1, 8)
    assert message.user_data_header == bytes.fromhex("050003AA0201")


def test_ucs2_concatenated_part_with_sixteen_bit_reference() -> None:
    message = deliver(DELIVER_UDH_HEAD + "08" + STAMP + "0B" + "06080412340302" + "D83DDE00")
    assert (message.encoding, message.text) == (Encoding.UCS2, "😀")
    assert message.concat == Concat(0x1234, 3, 2, 16)


def test_eight_bit_data_is_kept_as_bytes() -> None:
    message = deliver(DELIVER_HEAD + "F5" + STAMP + "03C0FFEE")
    assert (message.encoding, message.text, message.data) == (Encoding.BINARY, "", b"\xc0\xff\xee")
    assert message.message_class == 1


def test_national_shift_headers_pick_the_tables() -> None:
    # Header 03 25 01 01: Turkish locking shift; 5 septets of header, "ğ" is 0x0C there.
    message = deliver(DELIVER_UDH_HEAD + "00" + STAMP + "06" + "03250101" + "6000")
    assert message.text == "ğ"


@pytest.mark.parametrize(
    ("dcs", "encoding", "message_class"),
    [
        (0x10, Encoding.GSM7, 0),
        (0x11, Encoding.GSM7, 1),
        (0x18, Encoding.UCS2, 0),
        (0x48, Encoding.UCS2, None),  # marked for automatic deletion
        (0x0C, Encoding.GSM7, None),  # reserved alphabet reads as GSM-7
        (0x80, Encoding.GSM7, None),  # reserved coding group
        (0xC8, Encoding.GSM7, None),  # message waiting, discard
        (0xE0, Encoding.UCS2, None),  # message waiting, store, UCS-2
        (0xF2, Encoding.GSM7, 2),
    ],
)
def test_data_coding_scheme_groups(dcs: int, encoding: Encoding, message_class: int | None) -> None:
    user_data = "0400410042" if encoding is Encoding.UCS2 else "024121"
    message = deliver(DELIVER_HEAD + f"{dcs:02X}" + STAMP + user_data)
    assert (message.encoding, message.message_class) == (encoding, message_class)
    assert message.text == "AB"


def test_compressed_user_data_is_kept_as_bytes() -> None:
    message = deliver(DELIVER_HEAD + "20" + STAMP + "021234")
    assert (message.encoding, message.data) == (Encoding.BINARY, b"\x12\x34")


def test_alphanumeric_sender() -> None:
    pdu = "0004" + "0BD0CDBC30EC5E03" + "0000" + STAMP + "0141"
    assert deliver(pdu).sender == Address("MyBank", "alphanumeric")


def test_submit_with_absolute_and_enhanced_validity() -> None:
    absolute = "0019000B917228001011F10000" + STAMP + "0141"
    message = decode(absolute)
    assert isinstance(message, Submit)
    assert message.validity == datetime(2013, 3, 8, 15, 2, 16, tzinfo=UTC_PLUS_2)
    enhanced = "0009000B917228001011F10000" + "03214365000000" + "0141"
    message = decode(enhanced)
    assert isinstance(message, Submit)
    assert message.validity == timedelta(hours=12, minutes=34, seconds=56)
    seconds = "0009000B917228001011F10000" + "021E0000000000" + "0141"
    message = decode(seconds)
    assert isinstance(message, Submit)
    assert message.validity == timedelta(seconds=30)


def test_delivered_status_report() -> None:
    message = report(REPORT_HEAD + REPORT_TIMES + "00")
    assert message.message_reference == 0x2A
    assert message.recipient == Address("+447700900123", "international")
    assert message.submitted == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert message.discharged == datetime(2024, 1, 2, 3, 4, 15, tzinfo=UTC)
    assert (message.status, message.delivered, message.final) == (0, True, True)


@pytest.mark.parametrize(
    ("status", "delivered", "final"),
    [(0x02, True, True), (0x30, False, False), (0x41, False, True), (0x62, False, True)],
)
def test_status_report_outcomes(status: int, delivered: bool, final: bool) -> None:
    message = report(REPORT_HEAD + REPORT_TIMES + f"{status:02X}")
    assert (message.delivered, message.final) == (delivered, final)


@pytest.mark.parametrize("tail", ["00", "0700000141", "FFFFFFFF", "0000"])
def test_status_report_optional_parameters_and_padding(tail: str) -> None:
    assert report(REPORT_HEAD + REPORT_TIMES + "00" + tail).delivered


def test_padding_after_a_message_is_ignored() -> None:
    assert deliver(DELIVER_HEAD + "00" + STAMP + "05D4F29C2E03" + "FFFF").text == "Test2"


def test_user_data_length_is_honoured_not_the_octets_present() -> None:
    # UDL 4 says "Test"; the fifth septet present is not part of the message.
    assert deliver(DELIVER_HEAD + "00" + STAMP + "04D4F29C0E").text == "Test"


@pytest.mark.parametrize(
    ("pdu", "match"),
    [
        ("", "truncated in SMSC length"),
        ("zz", "not hexadecimal"),
        ("000", "odd number"),
        ("0003", "TP-MTI 3 is reserved"),
        (DELIVER_HEAD + "00" + STAMP + "05D4F29C", "truncated in user data"),
        (DELIVER_HEAD + "00" + STAMP + "A1" + "00" * 141, "exceeds the maximum of 160"),
        (DELIVER_HEAD + "08" + STAMP + "8D" + "00" * 141, "exceeds the maximum of 140"),
        (DELIVER_HEAD + "08" + STAMP + "03004100", "odd number of octets"),
        (DELIVER_UDH_HEAD + "08" + STAMP + "03050003", "exceeds the user data"),
        (DELIVER_UDH_HEAD + "08" + STAMP + "00", "user data is empty"),
        (DELIVER_HEAD + "00" + STAMP + "05D4F29C2E03" + "1234", "unexpected octets"),
        (DELIVER_HEAD + "00" + "31138051206180" + "00", "not a valid date"),
        (REPORT_HEAD + REPORT_TIMES, "truncated in status"),
        (REPORT_HEAD + REPORT_TIMES + "00" + "04", "truncated in user data length"),
    ],
)
def test_malformed_pdus_are_pdu_errors(pdu: str, match: str) -> None:
    with pytest.raises(PduError, match=match):
        decode(pdu)


def test_every_truncation_of_a_valid_pdu_is_a_pdu_error() -> None:
    pdu = DELIVER_UDH_HEAD + "08" + STAMP + "0B" + "06080412340302" + "D83DDE00"
    for end in range(0, len(pdu) - 1, 2):
        with pytest.raises(PduError):
            decode(pdu[:end])
