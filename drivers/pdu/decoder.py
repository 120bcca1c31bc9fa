"""Decoding any PDU a modem hands over, chosen by TP-MTI."""

from __future__ import annotations

from drivers.errors import PduError
from drivers.pdu.address import read_smsc
from drivers.pdu.deliver import MTI_DELIVER, Deliver, read_deliver
from drivers.pdu.reader import Reader, parse_hex
from drivers.pdu.status_report import MTI_STATUS_REPORT, StatusReport, read_status_report
from drivers.pdu.submit import MTI_SUBMIT, Submit, read_submit


def decode(pdu_hex: str, *, has_smsc: bool = True) -> Deliver | Submit | StatusReport:
    """Decode a PDU as AT+CMGR, AT+CMGL, +CMT or +CDS give it.

    TP-MTI 0 is an SMS-DELIVER, 1 an SMS-SUBMIT (a stored outbound message), 2 an
    SMS-STATUS-REPORT. Octets after the TPDU are accepted only when they are plainly
    padding (all 0x00 or all 0xFF); anything else means the PDU is not what it claims.
    """
    reader = Reader(parse_hex(pdu_hex))
    smsc = read_smsc(reader) if has_smsc else None
    first = reader.octet("first octet")
    mti = first & 0x03
    message: Deliver | Submit | StatusReport
    if mti == MTI_DELIVER:
        message = read_deliver(reader, first, smsc)
    elif mti == MTI_SUBMIT:
        message = read_submit(reader, first, smsc)
    elif mti == MTI_STATUS_REPORT:
        message = read_status_report(reader, first, smsc)
    else:
        raise PduError("TP-MTI 3 is reserved")
    if not reader.only_padding_left():
        raise PduError(f"{reader.remaining} unexpected octets after the end of the message")
    return message
