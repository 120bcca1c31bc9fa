"""Address fields (TS 23.040 9.1.2.5) and the SMSC field (TS 24.011 8.2.5.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from drivers.errors import PduError
from drivers.pdu import gsm7
from drivers.pdu.reader import Reader

AddressKind = Literal["international", "national", "alphanumeric", "unknown"]

# TBCD digits (TS 23.040 9.1.2.3): 0xA-0xE are *, #, a, b, c; 0xF fills an odd count.
_TBCD = "0123456789*#abc"
_TON_INTERNATIONAL = 1
_TON_NATIONAL = 2
_TON_ALPHANUMERIC = 5
_NPI_ISDN = 1
_NUMBER = re.compile(r"\+?[0-9]{1,20}")
_MAX_ALPHANUMERIC = 11  # 10 octets of packed septets


@dataclass(frozen=True)
class Address:
    """A decoded originator or destination address."""

    number: str
    kind: AddressKind


def encode_digits(digits: str) -> bytes:
    """Swapped semi-octets, with an F fill when the count is odd."""
    padded = digits + "F" if len(digits) % 2 else digits
    return bytes.fromhex("".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2)))


def decode_digits(data: bytes, count: int) -> str:
    """The first ``count`` TBCD digits of ``data``."""
    digits: list[str] = []
    for octet in data:
        digits += [_digit(octet & 0x0F), _digit(octet >> 4)]
    return "".join(digits[:count])


def _digit(nibble: int) -> str:
    if nibble == 0x0F:
        return ""
    return _TBCD[nibble]


def _toa(ton: int, npi: int = _NPI_ISDN) -> int:
    return 0x80 | ton << 4 | npi


def _number_field(number: str) -> tuple[int, bytes]:
    """(type of address, digit octets) of a phone number, PduError when it is not one."""
    if not _NUMBER.fullmatch(number):
        raise PduError(f"not a phone number: {number!r} (digits, optionally after +)")
    if number.startswith("+"):
        return _toa(_TON_INTERNATIONAL), encode_digits(number[1:])
    return _toa(0), encode_digits(number)


def encode_address(number: str) -> bytes:
    """A TP-DA/TP-OA/TP-RA field for a phone number."""
    toa, digits = _number_field(number)
    return bytes([len(number.lstrip("+")), toa]) + digits


def encode_alphanumeric(text: str) -> bytes:
    """A TP-OA field for an alphanumeric sender such as ``MyBank``."""
    septets = gsm7.encode(text)
    if not septets or len(septets) > _MAX_ALPHANUMERIC:
        raise PduError(f"alphanumeric sender must be 1-11 GSM characters: {text!r}")
    packed = gsm7.pack(septets)
    semi_octets = (len(septets) * 7 + 3) // 4
    return bytes([semi_octets, _toa(_TON_ALPHANUMERIC, npi=0)]) + packed


def encode_sender(sender: str) -> bytes:
    """A TP-OA field: a number when the sender looks like one, alphanumeric otherwise."""
    if _NUMBER.fullmatch(sender):
        return encode_address(sender)
    return encode_alphanumeric(sender)


def read_address(reader: Reader, field: str) -> Address:
    """Read an address whose length octet counts semi-octets."""
    length = reader.octet(f"{field} length")
    toa = reader.octet(f"{field} type")
    if length > 20:
        raise PduError(f"{field} is {length} semi-octets long (at most 20)")
    data = reader.take((length + 1) // 2, field)
    ton = (toa >> 4) & 0x07
    if ton == _TON_ALPHANUMERIC:
        return Address(gsm7.decode(gsm7.unpack(data, length * 4 // 7)), "alphanumeric")
    digits = decode_digits(data, length)
    if ton == _TON_INTERNATIONAL:
        return Address("+" + digits, "international")
    return Address(digits, "national" if ton == _TON_NATIONAL else "unknown")


def encode_smsc(smsc: str | None) -> bytes:
    """The SMSC field; ``00`` tells the modem to use the SIM's SMSC."""
    if smsc is None:
        return b"\x00"
    toa, digits = _number_field(smsc)
    return bytes([len(digits) + 1, toa]) + digits


def read_smsc(reader: Reader) -> str | None:
    """Read the SMSC field, whose length octet counts octets (type octet included)."""
    length = reader.octet("SMSC length")
    if length == 0:
        return None
    if length > 12:
        raise PduError(f"SMSC field is {length} octets long (at most 12)")
    toa = reader.octet("SMSC type")
    data = reader.take(length - 1, "SMSC address")
    digits = decode_digits(data, 2 * len(data))
    if (toa >> 4) & 0x07 == _TON_INTERNATIONAL:
        return "+" + digits
    return digits
