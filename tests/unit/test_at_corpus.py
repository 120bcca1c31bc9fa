"""The AT engine against real modem captures from ../shared/corpus (skipped when absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drivers.at import FinalResult, InfoLine, Prompt, Unsolicited
from tests.unit.test_at_connection import feed, prepared

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")


def load(relative: str) -> Any:
    return json.loads((CORPUS / relative).read_text(encoding="utf-8"))


def dumps(folder: str) -> list[Path]:
    return sorted((CORPUS / "gammu-tests" / folder).glob("*.dump")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("dump", dumps("at-sms") + dumps("at-sms-failing"), ids=lambda p: p.name)
def test_gammu_cmgr_capture_keeps_header_and_pdu_together(dump: Path) -> None:
    command, *reply = dump.read_text(encoding="utf-8").splitlines()
    events = feed(prepared((command,)), ["\r\n".join(reply).encode() + b"\r\n"])
    infos = [e for e in events if isinstance(e, InfoLine)]
    assert infos[0].text.startswith("+CMGR:")
    assert infos[0].pdu is not None
    assert infos[0].pdu in dump.read_text(encoding="utf-8")
    assert events[-1] == FinalResult("OK")


@pytest.mark.parametrize("dump", dumps("at-ussd"), ids=lambda p: p.name)
def test_gammu_ussd_capture_is_one_unsolicited_cusd(dump: Path) -> None:
    events = feed(prepared(()), [dump.read_bytes()])
    assert [e.kind for e in events if isinstance(e, Unsolicited)] == ["+CUSD"]


@pytest.mark.parametrize(
    "dump",
    dumps("at-creg")
    + dumps("at-creg-corner")
    + dumps("at-cnmi")
    + dumps("at-cpms")
    + dumps("at-model"),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_gammu_query_capture_ends_in_ok_with_no_urcs(dump: Path) -> None:
    command, *reply = dump.read_text(encoding="utf-8").splitlines()
    events = feed(prepared((command,)), ["\n".join(reply).encode() + b"\n"])
    assert events[-1] == FinalResult("OK")
    assert not any(isinstance(e, Unsolicited) for e in events)


def test_python_gsmmodem_cmgl_listing() -> None:
    lines = load("python-gsmmodem/at_transcripts.json")["cmgl_pdu_mode"]["AT+CMGL=4"]
    events = feed(prepared(("AT+CMGL=4",)), ["".join(lines).encode()])
    headers = [e for e in events if isinstance(e, InfoLine)]
    assert [h.text for h in headers] == [line.strip() for line in lines[0:6:2]]
    assert [h.pdu for h in headers] == [line.strip() for line in lines[1:6:2]]


def test_python_gsmmodem_status_report_reads() -> None:
    for report in load("python-gsmmodem/at_transcripts.json")["status_reports"]:
        notification = report["notification"]
        indication = feed(prepared(()), [notification.encode() + b"\r\n"])[0]
        assert isinstance(indication, Unsolicited)
        assert indication.kind == "+CDSI"
        key = next(k for k in report if k.startswith("AT+CMGR"))
        if "PDU" not in key and "ZTE" not in key and key != "AT+CMGR=1":
            continue
        events = feed(prepared(("AT+CMGR=1",)), ["".join(report[key]).encode()])
        assert isinstance(events[0], InfoLine)
        assert events[0].pdu == report[key][1].strip()


def test_zte_urcs_interleaved_with_a_send() -> None:
    exchange = load("python-gsmmodem/at_transcripts.json")["send_with_interleaved_urcs_zte"]
    conn = prepared(("AT+CMGS=24",))
    before = feed(conn, ["".join(exchange["AT+CMGS=<len>"]).encode()])
    assert [type(e) for e in before] == [Unsolicited, Unsolicited, Prompt]
    conn.send_pdu("00")
    after = feed(conn, ["".join(exchange["<pdu><Ctrl-Z>"]).replace("<mr>", "7").encode()])
    assert [type(e) for e in after] == [Unsolicited] * 4 + [InfoLine, FinalResult]
    assert after[4] == InfoLine("+CMGS: 7")


def test_ussd_spanning_many_lines_is_one_event() -> None:
    ussd = load("python-gsmmodem/at_transcripts.json")["ussd"]
    multi = next(u for u in ussd if "urc_lines" in u)
    events = feed(prepared(()), ["\r\n".join(multi["urc_lines"]).encode() + b"\r\n"])
    assert len(events) == 1
    assert isinstance(events[0], Unsolicited)
    assert events[0].fields[1].startswith("Bal:$100.00")
    assert events[0].fields[1].endswith("*charges can take 48hrs")


def test_real_world_exchanges_end_each_command_with_its_result() -> None:
    """Replays every host/modem exchange quoted from real hardware issues."""
    for capture in load("real-world-captures/issue_excerpts.json")["captures"]:
        exchange = capture.get("exchange") or [
            [row[1], row[2]] for row in capture.get("timed_exchange", [])
        ]
        conn = prepared(())
        for who, text in exchange:
            if who == "host":
                if text.startswith("<pdu>") or text.endswith("<Ctrl-Z>"):
                    conn.send_pdu("00")
                else:
                    conn.send(text)
                continue
            data = text.encode() if text == "> " else text.encode() + b"\r\n"
            for event in feed(conn, [data]):
                if who == "urc":
                    assert isinstance(event, Unsolicited)
                else:
                    assert not isinstance(event, Unsolicited) or event.kind in {"+CDSI"}
