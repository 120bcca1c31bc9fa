"""Address, time stamp, validity and user-data-header fields (3GPP TS 23.040 9.1.2, 9.2.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from drivers.errors import PduError
from drivers.pdu import Address, Concat, address, timestamp, udh
from drivers.pdu.reader import Reader


def read(hex_text: str) -> Address:
    return address.read_address(Reader(bytes.fromhex(hex_text)), "address")


@pytest.mark.parametrize(
    ("number", "field"),
    [
        ("+447700900123", "0C91447700091032"),
        ("+123", "039121F3"),  # odd digit count: F fills the last semi-octet
        ("0123", "04811032"),  # national digits go out as TON unknown, ISDN plan
    ],
)
def test_numbers_encode_as_swapped_semi_octets(number: str, field: str) -> None:
    assert address.encode_address(number).hex().upper() == field
    decoded = read(field)
    assert decoded.number == number
    assert decoded.kind == ("international" if number.startswith("+") else "unknown")


def test_type_of_number_sets_the_kind() -> None:
    assert read("0AA11092997856") == Address("0129998765", "national")
    assert read("04C11032") == Address("0123", "unknown")  # TON 4, subscriber number


def test_tbcd_letters_and_inner_fill_digits() -> None:
    assert read("0681BA21F3") == Address("*#123", "unknown")
    assert read("0481F121") == Address("112", "unknown")  # stray F inside is not a digit


def test_alphanumeric_addresses_are_packed_gsm7() -> None:
    assert address.encode_alphanumeric("abc").hex().upper() == "06D061F118"
    assert read("06D061F118") == Address("abc", "alphanumeric")
    # Length counts semi-octets: 14 hold 8 septets.
    field = address.encode_alphanumeric("FRANCOIS")
    assert field[0] == 14
    assert read(field.hex()) == Address("FRANCOIS", "alphanumeric")


def test_sender_is_alphanumeric_unless_it_is_a_number() -> None:
    assert address.encode_sender("+4477").hex().upper() == "04914477"
    assert address.encode_sender("MyBank")[1] == 0xD0


@pytest.mark.parametrize("bad", ["", "+", "12a", "+44 77", "1" * 21, "MyBank"])
def test_bad_destination_numbers_are_refused(bad: str) -> None:
    with pytest.raises(PduError, match="not a phone number"):
        address.encode_address(bad)


@pytest.mark.parametrize("bad", ["", "TwelveLetter", "emoji😀"])
def test_bad_alphanumeric_senders_are_refused(bad: str) -> None:
    with pytest.raises(PduError):
        address.encode_alphanumeric(bad)


def test_address_longer_than_twenty_digits_is_refused() -> None:
    with pytest.raises(PduError, match="21 semi-octets"):
        read("1591" + "11" * 11)


def test_smsc_field_counts_octets() -> None:
    assert address.encode_smsc(None) == b"\x00"
    assert address.encode_smsc("+31624000000").hex().upper() == "07911326040000F0"
    assert address.read_smsc(Reader(bytes.fromhex("07911326040000F0"))) == "+31624000000"
    assert address.read_smsc(Reader(bytes.fromhex("038121F3"))) == "123"
    assert address.read_smsc(Reader(b"\x00")) is None
    with pytest.raises(PduError, match="SMSC field is 13 octets"):
        address.read_smsc(Reader(bytes([13]) + b"\x91" * 12))


@pytest.mark.parametrize(
    ("field", "moment"),
    [
        ("31308051206180", datetime(2013, 3, 8, 15, 2, 16, tzinfo=timezone(timedelta(hours=2)))),
        ("7040213252242B", datetime(2007, 4, 12, 23, 25, 42, tzinfo=timezone(timedelta(hours=-8)))),
        ("99211332959500", datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("4210203040501A", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5.25)))),
    ],
)
def test_time_stamps_carry_quarter_hour_zones(field: str, moment: datetime) -> None:
    decoded = timestamp.read_timestamp(Reader(bytes.fromhex(field)), "stamp")
    assert decoded == moment
    assert decoded.utcoffset() == moment.utcoffset()
    assert timestamp.encode_timestamp(moment).hex().upper() == field


def test_a_hex_units_digit_in_the_zone_is_read_as_sixteen_based() -> None:
    # ZTE modems write +8 h as C2 (python-gsmmodem issue 15): tens 2, units 0xC.
    stamp = timestamp.read_timestamp(Reader(bytes.fromhex("610103409544C2")), "stamp")
    assert stamp.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("field", ["31138051206180", "31308051206F80", "313080512061"])
def test_impossible_or_short_time_stamps_are_refused(field: str) -> None:
    with pytest.raises(PduError):
        timestamp.read_timestamp(Reader(bytes.fromhex(field)), "stamp")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 1, 2, 3, 4, 5),
        datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(minutes=10))),
        datetime(2095, 1, 2, 3, 4, 5, tzinfo=UTC),
    ],
)
def test_unencodable_time_stamps_are_refused(moment: datetime) -> None:
    with pytest.raises(PduError):
        timestamp.encode_timestamp(moment)


@pytest.mark.parametrize(
    ("code", "period"),
    [
        (0, timedelta(minutes=5)),
        (143, timedelta(hours=12)),
        (144, timedelta(hours=12, minutes=30)),
        (167, timedelta(hours=24)),
        (168, timedelta(days=2)),
        (196, timedelta(days=30)),
        (197, timedelta(weeks=5)),
        (255, timedelta(weeks=63)),
    ],
)
def test_relative_validity_ranges(code: int, period: timedelta) -> None:
    assert timestamp.relative_validity(code) == period
    assert timestamp.encode_relative_validity(period) == code


def test_validity_rounds_up_to_the_next_representable_period() -> None:
    assert timestamp.encode_relative_validity(timedelta(minutes=6)) == 1
    assert timestamp.encode_relative_validity(timedelta(hours=25)) == 168
    assert timestamp.encode_relative_validity(timedelta(days=31)) == 197


@pytest.mark.parametrize("period", [timedelta(0), timedelta(seconds=-1), timedelta(weeks=64)])
def test_validity_outside_the_relative_range_is_refused(period: timedelta) -> None:
    with pytest.raises(PduError):
        timestamp.encode_relative_validity(period)


def test_concatenation_elements_in_both_reference_sizes() -> None:
    assert udh.parse(bytes.fromhex("0003170301")).concat == Concat(23, 3, 1, 8)
    assert udh.parse(bytes.fromhex("080401800402")).concat == Concat(384, 4, 2, 16)
    assert udh.build(udh.Header(Concat(384, 4, 2, 16))).hex().upper() == "080401800402"


def test_other_elements_are_skipped_and_shifts_read() -> None:
    header = udh.parse(bytes.fromhex("050400E20000" + "240101" + "250103" + "0003010201"))
    assert header == udh.Header(Concat(1, 2, 1, 8), single_shift=1, locking_shift=3)


@pytest.mark.parametrize("elements", ["0003170300", "0003170004", "0003170304"])
def test_concatenation_element_with_impossible_part_number_is_ignored(elements: str) -> None:
    assert udh.parse(bytes.fromhex(elements)).concat is None


@pytest.mark.parametrize("elements", ["00", "000317", "0003170301" + "08"])
def test_element_running_past_the_header_is_refused(elements: str) -> None:
    with pytest.raises(PduError, match="user data header"):
        udh.parse(bytes.fromhex(elements))
