"""SMS-DELIVER (TS 23.040 9.2.2.1): what arrives in +CMT/AT+CMGR, and the simulator's copy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from drivers.pdu import address, udh
from drivers.pdu.address import Address
from drivers.pdu.reader import Reader
from drivers.pdu.segments import plan
from drivers.pdu.submit import UDHI, check_reference, concat_for
from drivers.pdu.timestamp import encode_timestamp, read_timestamp
from drivers.pdu.userdata import (
    DCS_FOR,
    Encoding,
    encode_user_data,
    parse_dcs,
    read_user_data,
)

MTI_DELIVER = 0x00
_NO_MORE_MESSAGES = 0x04  # TP-MMS set: nothing else is waiting in the SC


@dataclass(frozen=True)
class Deliver:
    """A decoded SMS-DELIVER; ``data`` holds the payload of 8-bit messages."""

    sender: Address
    text: str
    encoding: Encoding
    timestamp: datetime
    concat: udh.Concat | None
    smsc: str | None
    protocol_id: int
    dcs: int
    message_class: int | None
    user_data_header: bytes
    data: bytes | None


def encode_deliver(
    sender: str,
    text: str,
    *,
    timestamp: datetime,
    smsc: str | None = None,
    concat_reference: int = 0,
    use_16bit_reference: bool = False,
    national_languages: Sequence[str] = (),
) -> list[str]:
    """One hex PDU (SMSC field included) per part, as a network would deliver ``text``.

    ``sender`` is "+44...", national digits or an alphanumeric name such as "MyBank".
    """
    bits: Literal[8, 16] = 16 if use_16bit_reference else 8
    check_reference(concat_reference, bits)
    originator = address.encode_sender(sender)
    prefix = address.encode_smsc(smsc)
    stamp = encode_timestamp(timestamp)
    cut = plan(text, national_languages=national_languages, reference_bits=bits)
    pdus = []
    for index, units in enumerate(cut.parts):
        header = cut.header(concat_for(cut, index, concat_reference, bits))
        length, user_data = encode_user_data(units, cut.encoding, header)
        first = MTI_DELIVER | _NO_MORE_MESSAGES | (UDHI if udh.build(header) else 0)
        tpdu = (
            bytes([first])
            + originator
            + bytes([0, DCS_FOR[cut.encoding]])
            + stamp
            + bytes([length])
            + user_data
        )
        pdus.append((prefix + tpdu).hex().upper())
    return pdus


def read_deliver(reader: Reader, first: int, smsc: str | None) -> Deliver:
    """Read the TPDU after its first octet."""
    sender = address.read_address(reader, "originating address")
    protocol_id = reader.octet("protocol identifier")
    dcs = reader.octet("data coding scheme")
    stamp = read_timestamp(reader, "service centre time stamp")
    user_data = read_user_data(reader, dcs, bool(first & UDHI))
    return Deliver(
        sender=sender,
        text=user_data.text,
        encoding=user_data.encoding,
        timestamp=stamp,
        concat=user_data.concat,
        smsc=smsc,
        protocol_id=protocol_id,
        dcs=dcs,
        message_class=parse_dcs(dcs).message_class,
        user_data_header=user_data.header,
        data=user_data.data,
    )
