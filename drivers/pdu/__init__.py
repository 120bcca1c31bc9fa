"""Cellgate's SMS PDU codec (3GPP TS 23.040, TS 23.038): pure functions, no I/O."""

from drivers.pdu.address import Address
from drivers.pdu.decoder import decode
from drivers.pdu.deliver import Deliver, encode_deliver
from drivers.pdu.segments import Segments, segments
from drivers.pdu.status_report import StatusReport, encode_status_report
from drivers.pdu.submit import Submit, SubmitPart, encode_submit
from drivers.pdu.transliterate import transliterate
from drivers.pdu.udh import Concat
from drivers.pdu.userdata import Encoding

__all__ = [
    "Address",
    "Concat",
    "Deliver",
    "Encoding",
    "Segments",
    "StatusReport",
    "Submit",
    "SubmitPart",
    "decode",
    "encode_deliver",
    "encode_status_report",
    "encode_submit",
    "segments",
    "transliterate",
]
