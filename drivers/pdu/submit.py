"""SMS-SUBMIT (TS 23.040 9.2.2.2): what the modem sends with AT+CMGS, and stored drafts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from drivers.errors import PduError
from drivers.pdu import address, timestamp, udh
from drivers.pdu.address import Address
from drivers.pdu.reader import Reader
from drivers.pdu.segments import MAX_PARTS, Plan, plan
from drivers.pdu.userdata import DCS_FOR, Encoding, encode_user_data, read_user_data

MTI_SUBMIT = 0x01
_REJECT_DUPLICATES = 0x04
_VPF_RELATIVE = 0x10
_VPF_ENHANCED = 0x08
_VPF_ABSOLUTE = 0x18
_STATUS_REPORT_REQUEST = 0x20
UDHI = 0x40


@dataclass(frozen=True)
class SubmitPart:
    """One PDU for AT+CMGS=<tpdu_length>."""

    pdu: str
    tpdu_length: int
    number: int
    total: int
    encoding: Encoding


@dataclass(frozen=True)
class Submit:
    """A decoded SMS-SUBMIT (a stored outbound message, or what the simulator received)."""

    recipient: Address
    text: str
    encoding: Encoding
    message_reference: int
    status_report_requested: bool
    validity: timedelta | datetime | None
    concat: udh.Concat | None
    smsc: str | None
    dcs: int
    user_data_header: bytes
    data: bytes | None
    protocol_id: int = 0


def check_reference(reference: int, bits: Literal[8, 16]) -> None:
    """PduError unless ``reference`` fits a concatenation reference of ``bits`` bits."""
    if not 0 <= reference < 1 << bits:
        raise PduError(f"concatenation reference {reference} does not fit in {bits} bits")


def concat_for(cut: Plan, index: int, reference: int, bits: Literal[8, 16]) -> udh.Concat | None:
    """The concatenation element of part ``index`` (0-based), None for a single part."""
    if len(cut.parts) == 1:
        return None
    if len(cut.parts) > MAX_PARTS:
        raise PduError(f"text needs {len(cut.parts)} parts; at most {MAX_PARTS} are possible")
    return udh.Concat(reference, len(cut.parts), index + 1, bits)


def encode_submit(
    to: str,
    text: str,
    *,
    concat_reference: int = 0,
    request_status_report: bool = True,
    validity: timedelta | None = None,
    smsc: str | None = None,
    transliterate: bool = False,
    use_16bit_reference: bool = False,
    national_languages: Sequence[str] = (),
    message_reference: int = 0,
) -> list[SubmitPart]:
    """The PDUs that send ``text`` to ``to`` ("+4477..." or national digits).

    Part ``n`` carries message reference ``message_reference + n - 1`` (mod 256); most
    modems replace it with their own counter anyway and report that in +CMGS.
    """
    bits: Literal[8, 16] = 16 if use_16bit_reference else 8
    check_reference(concat_reference, bits)
    if not 0 <= message_reference <= 0xFF:
        raise PduError(f"message reference {message_reference} is not an octet")
    destination = address.encode_address(to)
    smsc_field = address.encode_smsc(smsc)
    cut = plan(
        text,
        transliterate=transliterate,
        national_languages=national_languages,
        reference_bits=bits,
    )
    first = MTI_SUBMIT | (_STATUS_REPORT_REQUEST if request_status_report else 0)
    period = b""
    if validity is not None:
        first |= _VPF_RELATIVE
        period = bytes([timestamp.encode_relative_validity(validity)])
    parts = []
    for index, units in enumerate(cut.parts):
        header = cut.header(concat_for(cut, index, concat_reference, bits))
        length, user_data = encode_user_data(units, cut.encoding, header)
        tpdu = (
            bytes([first | (UDHI if udh.build(header) else 0), (message_reference + index) % 256])
            + destination
            + bytes([0, DCS_FOR[cut.encoding]])
            + period
            + bytes([length])
            + user_data
        )
        pdu = (smsc_field + tpdu).hex().upper()
        parts.append(SubmitPart(pdu, len(tpdu), index + 1, len(cut.parts), cut.encoding))
    return parts


def read_submit(reader: Reader, first: int, smsc: str | None) -> Submit:
    """Read the TPDU after its first octet."""
    reference = reader.octet("message reference")
    recipient = address.read_address(reader, "destination address")
    protocol_id = reader.octet("protocol identifier")
    dcs = reader.octet("data coding scheme")
    validity = _read_validity(reader, first & _VPF_ABSOLUTE)
    user_data = read_user_data(reader, dcs, bool(first & UDHI))
    return Submit(
        recipient=recipient,
        text=user_data.text,
        encoding=user_data.encoding,
        message_reference=reference,
        status_report_requested=bool(first & _STATUS_REPORT_REQUEST),
        validity=validity,
        concat=user_data.concat,
        smsc=smsc,
        dcs=dcs,
        user_data_header=user_data.header,
        data=user_data.data,
        protocol_id=protocol_id,
    )


def _read_validity(reader: Reader, format_bits: int) -> timedelta | datetime | None:
    if format_bits == _VPF_RELATIVE:
        return timestamp.relative_validity(reader.octet("validity period"))
    if format_bits == _VPF_ABSOLUTE:
        return timestamp.read_timestamp(reader, "validity period")
    if format_bits == _VPF_ENHANCED:
        return _enhanced_validity(reader.take(7, "validity period"))
    return None


def _enhanced_validity(field: bytes) -> timedelta | None:
    """TS 23.040 9.2.3.12.3; a format this codec does not know reads as no validity."""
    kind = field[0] & 0x07
    if kind == 1:
        return timestamp.relative_validity(field[1])
    if kind == 2:
        return timedelta(seconds=field[1])
    if kind == 3:
        hours, minutes, seconds = ((octet & 0x0F) * 10 + (octet >> 4) for octet in field[1:4])
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return None
