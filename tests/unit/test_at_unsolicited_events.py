"""URCs become driver events (drivers.modem.dispatcher.translate); noise becomes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drivers.at import NEED_DATA, ATConnection, Unsolicited
from drivers.modem import events
from drivers.modem.dispatcher import translate
from drivers.pdu import Deliver, StatusReport, encode_deliver, encode_status_report

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
DELIVER = encode_deliver("+447700900123", "hi", timestamp=WHEN)[0]
REPORT = encode_status_report(7, "+447700900123", submitted=WHEN, discharged=WHEN)


def urc(wire: str) -> Unsolicited:
    conn = ATConnection()
    conn.receive_data(wire.encode() + b"\r\n")
    event = conn.next_event()
    assert isinstance(event, Unsolicited)
    assert conn.next_event() is NEED_DATA
    return event


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ('+CMTI: "SM",3', events.NewMessageStored("SM", 3)),
        ('+CDSI: "SR",8', events.StatusReportStored("SR", 8)),
        ("RING", events.Ring()),
        ("+CRING: VOICE", events.Ring()),
        ('+CLIP: "+27820001234",145', events.Ring("+27820001234")),
        ('+CUSD: 0,"Balance 5",15', events.UssdReceived(0, "Balance 5", 15)),
        ("+CUSD: 2", events.UssdReceived(2, "", None)),
        ("^RSSI:13", None),
        ("SMS Ready", None),
        ('+QIND: "SMS DONE"', None),
        ("HELLO", events.UnknownUnsolicited("HELLO")),
        ("OK", None),
        ("+CMS ERROR: 500", None),
        ('+CMTI: "SM",x', events.UnknownUnsolicited('+CMTI: "SM",x')),
        ("+CDS: 6,20", events.UnknownUnsolicited("+CDS: 6,20")),
    ],
)
def test_translate(wire: str, expected: events.Event | None) -> None:
    assert translate(urc(wire)) == expected


def test_cmt_is_decoded() -> None:
    event = translate(urc(f"+CMT: ,24\r\n{DELIVER}"))
    assert isinstance(event, events.IncomingPdu)
    assert isinstance(event.decoded, Deliver)
    assert (event.raw_hex, event.decoded.text, event.error) == (DELIVER, "hi", None)


def test_cds_is_decoded() -> None:
    event = translate(urc(f"+CDS: 24\r\n{REPORT}"))
    assert isinstance(event, events.IncomingStatusReport)
    assert isinstance(event.decoded, StatusReport)
    assert event.decoded.message_reference == 7


def test_undecodable_cmt_keeps_raw_hex_and_error() -> None:
    event = translate(urc(f"+CMT: ,24\r\n{DELIVER[:-6]}"))
    assert isinstance(event, events.IncomingPdu)
    assert (event.raw_hex, event.decoded) == (DELIVER[:-6], None)
    assert event.error


def test_cmt_carrying_a_status_report_is_reported_as_wrong_type() -> None:
    event = translate(urc(f"+CMT: ,24\r\n{REPORT}"))
    assert isinstance(event, events.IncomingPdu)
    assert event.decoded is None
    assert event.error == "expected Deliver, got StatusReport"


def test_cmt_without_its_pdu_line() -> None:
    conn = ATConnection()
    conn.receive_data(b"+CMT: ,24\r\n")
    assert conn.next_event() is NEED_DATA
    conn.send("AT")
    event = conn.next_event()
    assert isinstance(event, Unsolicited)
    assert translate(event) == events.IncomingPdu("", None, "the PDU line is missing")
