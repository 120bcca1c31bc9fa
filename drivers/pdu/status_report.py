"""SMS-STATUS-REPORT (TS 23.040 9.2.2.3): the network's word on a message we sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from drivers.pdu import address
from drivers.pdu.address import Address
from drivers.pdu.reader import Reader
from drivers.pdu.submit import UDHI
from drivers.pdu.timestamp import encode_timestamp, read_timestamp
from drivers.pdu.userdata import read_user_data

MTI_STATUS_REPORT = 0x02
_NO_MORE_MESSAGES = 0x04
# TP-PI (9.2.3.27): which optional fields follow TP-ST.
_PI_PROTOCOL_ID = 0x01
_PI_DCS = 0x02
_PI_USER_DATA = 0x04


@dataclass(frozen=True)
class StatusReport:
    """A decoded status report.

    ``delivered``: TP-ST 0x00-0x1F (the transaction completed). ``final``: False only for
    0x20-0x3F, while the SC is still trying; 0x60-0x7F are errors after which it has
    stopped trying, so they are final too.
    """

    message_reference: int
    recipient: Address
    submitted: datetime
    discharged: datetime
    status: int
    delivered: bool
    final: bool
    smsc: str | None


def encode_status_report(
    message_reference: int,
    recipient: str,
    *,
    submitted: datetime,
    discharged: datetime,
    status: int = 0,
    smsc: str | None = None,
) -> str:
    """Hex PDU (SMSC field included) of a status report for a message we submitted."""
    tpdu = (
        bytes([MTI_STATUS_REPORT | _NO_MORE_MESSAGES, message_reference & 0xFF])
        + address.encode_address(recipient)
        + encode_timestamp(submitted)
        + encode_timestamp(discharged)
        + bytes([status & 0xFF])
    )
    return (address.encode_smsc(smsc) + tpdu).hex().upper()


def read_status_report(reader: Reader, first: int, smsc: str | None) -> StatusReport:
    """Read the TPDU after its first octet, optional trailing parameters included."""
    reference = reader.octet("message reference")
    recipient = address.read_address(reader, "recipient address")
    submitted = read_timestamp(reader, "service centre time stamp")
    discharged = read_timestamp(reader, "discharge time")
    status = reader.octet("status")
    if not reader.only_padding_left():
        _read_parameters(reader, first)
    return StatusReport(
        message_reference=reference,
        recipient=recipient,
        submitted=submitted,
        discharged=discharged,
        status=status,
        delivered=status < 0x20,
        final=not 0x20 <= status < 0x40,
        smsc=smsc,
    )


def _read_parameters(reader: Reader, first: int) -> None:
    """Consume TP-PI and the fields it announces; they carry nothing this codec reports."""
    indicator = reader.octet("parameter indicator")
    if indicator & _PI_PROTOCOL_ID:
        reader.octet("protocol identifier")
    dcs = reader.octet("data coding scheme") if indicator & _PI_DCS else 0
    if indicator & _PI_USER_DATA:
        read_user_data(reader, dcs, bool(first & UDHI))
