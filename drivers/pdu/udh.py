"""The user data header (TS 23.040 9.2.3.24): concatenation and national language shifts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from drivers.errors import PduError

IEI_CONCAT_8 = 0x00
IEI_CONCAT_16 = 0x08
IEI_SINGLE_SHIFT = 0x24
IEI_LOCKING_SHIFT = 0x25


@dataclass(frozen=True)
class Concat:
    """Where one part sits in a concatenated message."""

    reference: int
    total: int
    number: int
    bits: Literal[8, 16]


@dataclass(frozen=True)
class Header:
    """What a receiver needs from a user data header; other elements are kept raw."""

    concat: Concat | None = None
    single_shift: int = 0
    locking_shift: int = 0


def parse(header: bytes) -> Header:
    """Parse the information elements of a header (without its length octet).

    A concatenation element whose part number is 0 or beyond the total is ignored, as
    TS 23.040 9.2.3.24.1 says; an element that runs past the header is an error.
    """
    concat: Concat | None = None
    single = locking = 0
    pos = 0
    while pos < len(header):
        if pos + 2 > len(header):
            raise PduError("user data header ends inside an information element")
        iei, length = header[pos], header[pos + 1]
        data = header[pos + 2 : pos + 2 + length]
        if len(data) < length:
            raise PduError(f"user data header element {iei:02X} runs past the header")
        pos += 2 + length
        if iei == IEI_CONCAT_8 and length == 3:
            concat = _concat(data[0], data[1], data[2], 8) or concat
        elif iei == IEI_CONCAT_16 and length == 4:
            concat = _concat(int.from_bytes(data[:2], "big"), data[2], data[3], 16) or concat
        elif iei == IEI_SINGLE_SHIFT and length == 1:
            single = data[0]
        elif iei == IEI_LOCKING_SHIFT and length == 1:
            locking = data[0]
    return Header(concat, single, locking)


def _concat(reference: int, total: int, number: int, bits: Literal[8, 16]) -> Concat | None:
    if total == 0 or not 1 <= number <= total:
        return None
    return Concat(reference, total, number, bits)


def build(header: Header) -> bytes:
    """The information elements for ``header`` (without the length octet)."""
    elements = b""
    if header.concat is not None:
        concat = header.concat
        if concat.bits == 8:
            elements += bytes([IEI_CONCAT_8, 3, concat.reference, concat.total, concat.number])
        else:
            ref = concat.reference.to_bytes(2, "big")
            elements += bytes([IEI_CONCAT_16, 4, *ref, concat.total, concat.number])
    if header.single_shift:
        elements += bytes([IEI_SINGLE_SHIFT, 1, header.single_shift])
    if header.locking_shift:
        elements += bytes([IEI_LOCKING_SHIFT, 1, header.locking_shift])
    return elements


def header_octets(header: Header) -> int:
    """Octets the header takes in the user data, its length octet included (0 if empty)."""
    elements = len(build(header))
    return elements + 1 if elements else 0
