"""TP-DCS (TS 23.038 4) and TP-UD (TS 23.040 9.2.3.16, 9.2.3.24): text in, octets out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from drivers.errors import PduError
from drivers.pdu import gsm7, udh
from drivers.pdu.reader import Reader

MAX_OCTETS = 140
MAX_SEPTETS = 160


class Encoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"
    BINARY = "8bit"


DCS_FOR = {Encoding.GSM7: 0x00, Encoding.UCS2: 0x08, Encoding.BINARY: 0x04}


@dataclass(frozen=True)
class Coding:
    """What a data coding scheme says about the user data."""

    encoding: Encoding
    message_class: int | None
    compressed: bool


def parse_dcs(dcs: int) -> Coding:
    """Interpret TP-DCS; reserved alphabets and groups read as GSM-7, as TS 23.038 4 asks."""
    group = dcs >> 4
    if group < 0x8:  # general data coding, possibly marked for automatic deletion
        alphabet = (dcs >> 2) & 0x03
        message_class = dcs & 0x03 if dcs & 0x10 else None
        encoding = {1: Encoding.BINARY, 2: Encoding.UCS2}.get(alphabet, Encoding.GSM7)
        return Coding(encoding, message_class, bool(dcs & 0x20))
    if group == 0xE:  # message waiting indication, store, UCS-2
        return Coding(Encoding.UCS2, None, False)
    if group == 0xF:  # data coding / message class
        encoding = Encoding.BINARY if dcs & 0x04 else Encoding.GSM7
        return Coding(encoding, dcs & 0x03, False)
    return Coding(Encoding.GSM7, None, False)


@dataclass(frozen=True)
class UserData:
    """Decoded TP-UD. ``header`` is the raw header, its length octet included."""

    text: str
    encoding: Encoding
    header: bytes
    concat: udh.Concat | None
    data: bytes | None


def read_user_data(reader: Reader, dcs: int, has_header: bool) -> UserData:
    """Read TP-UDL and exactly the TP-UD octets it announces."""
    coding = parse_dcs(dcs)
    length = reader.octet("user data length")
    septets = coding.encoding is Encoding.GSM7 and not coding.compressed
    limit = MAX_SEPTETS if septets else MAX_OCTETS
    if length > limit:
        raise PduError(f"user data length {length} exceeds the maximum of {limit}")
    body = reader.take((length * 7 + 7) // 8 if septets else length, "user data")
    header = _header(body, length * 7 // 8 if septets else length) if has_header else b""
    parsed = udh.parse(header[1:])
    if coding.compressed:
        return UserData("", Encoding.BINARY, header, parsed.concat, body[len(header) :])
    if septets:
        skip = (len(header) * 8 + 6) // 7
        units = gsm7.unpack(body, length)[skip:]
        text = gsm7.decode(units, parsed.locking_shift, parsed.single_shift)
        return UserData(text, Encoding.GSM7, header, parsed.concat, None)
    payload = body[len(header) :]
    if coding.encoding is Encoding.BINARY:
        return UserData("", Encoding.BINARY, header, parsed.concat, payload)
    if len(payload) % 2:
        raise PduError("UCS-2 user data has an odd number of octets")
    text = payload.decode("utf-16-be", errors="replace")
    return UserData(text, Encoding.UCS2, header, parsed.concat, None)


def _header(body: bytes, available: int) -> bytes:
    if not body:
        raise PduError("user data header indicated but user data is empty")
    header_length = body[0] + 1
    if header_length > available:
        raise PduError(f"user data header ({header_length} octets) exceeds the user data")
    return body[:header_length]


def encode_user_data(
    units: Sequence[int], encoding: Encoding, header: udh.Header
) -> tuple[int, bytes]:
    """(TP-UDL, TP-UD) for septets or UTF-16 code units, behind ``header``."""
    elements = udh.build(header)
    head = bytes([len(elements)]) + elements if elements else b""
    if encoding is Encoding.GSM7:
        header_septets = (len(head) * 8 + 6) // 7
        fill_bits = header_septets * 7 - len(head) * 8
        return header_septets + len(units), head + gsm7.pack(units, fill_bits)
    payload = b"".join(unit.to_bytes(2, "big") for unit in units)
    return len(head) + len(payload), head + payload
