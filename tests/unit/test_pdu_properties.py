"""Round trips and robustness of the PDU codec, for any text and any input."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import PduError
from drivers.pdu import (
    Deliver,
    StatusReport,
    Submit,
    decode,
    encode_deliver,
    encode_status_report,
    encode_submit,
    segments,
    transliterate,
)
from drivers.pdu.gsm7 import LANGUAGES, LOCKING_TABLES, SINGLE_TABLES

_TABLE_CHARS = "".join(LOCKING_TABLES.values()).replace("\x1b", "") + "".join(
    char for table in SINGLE_TABLES.values() for char in table.values()
)
_SPECIAL = "😀👍🏽🇬🇧“”–…\u00a0ÿ中"
texts = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.sampled_from(_TABLE_CHARS + _SPECIAL), max_size=400),
    st.text(alphabet=st.sampled_from("a€{"), max_size=400),
)
languages = st.lists(st.sampled_from(sorted(LANGUAGES)), max_size=3)
numbers = st.from_regex(r"\+?[0-9]{1,20}", fullmatch=True)
alphanumeric = st.text(alphabet=st.sampled_from("ABCxyz019 @$-"), min_size=1, max_size=11)
zones = st.integers(min_value=-48, max_value=56).map(lambda q: timezone(timedelta(minutes=15 * q)))
stamps = st.builds(
    lambda moment, zone: moment.replace(tzinfo=zone),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2089, 12, 31)),
    zones,
).map(lambda moment: moment.replace(microsecond=0))


@settings(max_examples=150, deadline=None)
@given(
    to=numbers,
    text=texts,
    national=languages,
    bits=st.sampled_from([8, 16]),
    reference=st.integers(0, 255),
)
def test_submit_parts_decode_back_to_the_text(
    to: str, text: str, national: list[str], bits: int, reference: int
) -> None:
    parts = encode_submit(
        to,
        text,
        national_languages=national,
        use_16bit_reference=bits == 16,
        concat_reference=reference,
    )
    messages = [decode(part.pdu) for part in parts]
    assert all(isinstance(message, Submit) for message in messages)
    assert "".join(_text(part.pdu) for part in parts) == text
    for part, message in zip(parts, messages, strict=True):
        assert isinstance(message, Submit)
        assert message.recipient.number == to
        assert part.tpdu_length == len(part.pdu) // 2 - 1
        if part.total > 1:
            assert message.concat is not None
            assert (message.concat.number, message.concat.total) == (part.number, part.total)
            assert (message.concat.reference, message.concat.bits) == (reference, bits)
    if bits == 8:
        assert segments(text, national_languages=national).parts == len(parts)


@settings(max_examples=100, deadline=None)
@given(text=texts)
def test_transliterated_submit_carries_the_transliterated_text(text: str) -> None:
    parts = encode_submit("+4477", text, transliterate=True)
    assert "".join(_text(part.pdu) for part in parts) == transliterate(text)
    assert segments(text, transliterate=True).parts == len(parts)


@settings(max_examples=100, deadline=None)
@given(
    sender=st.one_of(numbers, alphanumeric),
    text=texts,
    stamp=stamps,
    national=languages,
    smsc=st.one_of(st.none(), numbers),
)
def test_deliver_parts_decode_back_to_the_text(
    sender: str, text: str, stamp: datetime, national: list[str], smsc: str | None
) -> None:
    pdus = encode_deliver(sender, text, timestamp=stamp, national_languages=national, smsc=smsc)
    messages = [decode(pdu) for pdu in pdus]
    assert "".join(_text(pdu) for pdu in pdus) == text
    for message in messages:
        assert isinstance(message, Deliver)
        assert message.sender.number == sender
        assert message.timestamp == stamp
        assert message.timestamp.utcoffset() == stamp.utcoffset()
        assert message.smsc == smsc


@settings(max_examples=100, deadline=None)
@given(
    reference=st.integers(0, 255),
    recipient=numbers,
    submitted=stamps,
    discharged=stamps,
    status=st.integers(0, 255),
)
def test_status_reports_round_trip(
    reference: int, recipient: str, submitted: datetime, discharged: datetime, status: int
) -> None:
    pdu = encode_status_report(
        reference, recipient, submitted=submitted, discharged=discharged, status=status
    )
    message = decode(pdu)
    assert isinstance(message, StatusReport)
    assert (message.message_reference, message.recipient.number) == (reference, recipient)
    assert (message.submitted, message.discharged, message.status) == (
        submitted,
        discharged,
        status,
    )


def _text(pdu: str) -> str:
    message = decode(pdu)
    assert isinstance(message, Deliver | Submit)
    return message.text


def _decode_or_pdu_error(pdu: str, has_smsc: bool = True) -> None:
    with contextlib.suppress(PduError):
        decode(pdu, has_smsc=has_smsc)


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=200), has_smsc=st.booleans())
def test_arbitrary_bytes_only_ever_raise_pdu_error(data: bytes, has_smsc: bool) -> None:
    _decode_or_pdu_error(data.hex(), has_smsc)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_arbitrary_strings_only_ever_raise_pdu_error(text: str) -> None:
    _decode_or_pdu_error(text)


@settings(max_examples=300, deadline=None)
@given(
    text=texts,
    position=st.integers(0, 400),
    value=st.integers(0, 255),
    cut=st.integers(0, 400),
)
def test_damaged_valid_pdus_only_ever_raise_pdu_error(
    text: str, position: int, value: int, cut: int
) -> None:
    pdu = bytearray(bytes.fromhex(encode_submit("+4477", text)[0].pdu))
    pdu[position % len(pdu)] = value
    _decode_or_pdu_error(bytes(pdu).hex())
    _decode_or_pdu_error(bytes(pdu[: cut % len(pdu)]).hex())
