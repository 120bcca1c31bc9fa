"""The AT engine, proven from data tables: each case runs whole, byte-at-a-time and with
trailing bytes, and must give the same events every way."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from drivers.at import (
    NEED_DATA,
    ATConnection,
    Event,
    FinalResult,
    InfoLine,
    Prompt,
    State,
    Unsolicited,
)

PDU = "0791447758100650040C914477771234560000524011000000000BC8329BFD06DDDF723619"


def urc(line: str, *fields: str, payload: str | None = None, known: bool = True) -> Unsolicited:
    kind = line.partition(":")[0].strip().upper() if ":" in line else line.upper()
    return Unsolicited(kind, fields, line, payload, known)


OK = FinalResult("OK")


@dataclass(frozen=True)
class Case:
    """Commands sent before the wire bytes arrive ("PDU:" sends a PDU), and the events."""

    name: str
    commands: tuple[str, ...]
    wire: bytes
    expected: tuple[Event, ...]


CASES = [
    Case("ok", ("AT",), b"\r\nOK\r\n", (OK,)),
    Case("echo swallowed", ("AT",), b"AT\r\r\nOK\r\n", (OK,)),
    Case("doubled echo", ("ATE0",), b"ATE0\rATE0\r\r\nOK\r\n", (OK,)),
    Case(
        "echo case-insensitive",
        ("at+cgmi",),
        b"AT+CGMI\r\r\nhuawei\r\nOK\r\n",
        (InfoLine("huawei"), OK),
    ),
    Case(
        "info then ok", ("AT+CSQ",), b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n", (InfoLine("+CSQ: 20,99"), OK)
    ),
    Case(
        "urc between info and ok",
        ("AT+CSQ",),
        b'\r\n+CSQ: 20,99\r\n+CMTI: "SM",3\r\n\r\nOK\r\n',
        (InfoLine("+CSQ: 20,99"), urc('+CMTI: "SM",3', "SM", "3"), OK),
    ),
    Case(
        "not a final result",
        ("ATI",),
        b"OK see you at 5\r\nOK\r\n",
        (InfoLine("OK see you at 5"), OK),
    ),
    Case("error", ("AT+FOO",), b"\r\nERROR\r\n", (FinalResult("ERROR"),)),
    Case("cme error", ("AT+CPIN?",), b"\r\n+CME ERROR: 10\r\n", (FinalResult("CME", 10),)),
    Case("cms error", ("AT+CMGR=9",), b"\r\n+CMS ERROR: 321\r\n", (FinalResult("CMS", 321),)),
    Case(
        "verbose cms error",
        ("AT+CMGR=9",),
        b"\r\n+CMS ERROR: Invalid memory index\r\n",
        (FinalResult("CMS", 321, "Invalid memory index"),),
    ),
    Case(
        "verbose cme error",
        ("AT+CPIN?",),
        b"\r\n+CME ERROR: SIM not inserted\r\n",
        (FinalResult("CME", 10, "SIM not inserted"),),
    ),
    Case(
        "unknown verbose error",
        ("AT+CPIN?",),
        b"\r\n+CME ERROR: Flux capacitor\r\n",
        (FinalResult("CME", None, "Flux capacitor"),),
    ),
    Case("numeric ok", ("AT",), b"0\r", (OK,)),
    Case("numeric error", ("AT",), b"4\r", (FinalResult("ERROR"),)),
    Case("no carrier", ("ATD123;",), b"\r\nNO CARRIER\r\n", (FinalResult("NO CARRIER"),)),
    Case(
        "connect with rate",
        ("ATD*99#",),
        b"\r\nCONNECT 9600\r\n",
        (FinalResult("CONNECT", text="9600"),),
    ),
    Case(
        "huawei command not support",
        ("AT+WIND?",),
        b"\r\nCOMMAND NOT SUPPORT\r\n",
        (FinalResult("COMMAND NOT SUPPORT"),),
    ),
    Case("cr cr lf", ("AT+CLAC",), b"&C\r\r\n&D\r\r\nOK\r\n", (InfoLine("&C"), InfoLine("&D"), OK)),
    Case("lf only", ("AT+CGMM",), b"E1752\nOK\n", (InfoLine("E1752"), OK)),
    Case(
        "response prefix is not a urc while pending",
        ("AT+CREG?",),
        b"\r\n+CREG: 0,1\r\n\r\nOK\r\n",
        (InfoLine("+CREG: 0,1"), OK),
    ),
    Case(
        "same prefix is a urc when another command is pending",
        ("AT+CSQ",),
        b"\r\n+CREG: 1\r\n+CSQ: 9,99\r\nOK\r\n",
        (urc("+CREG: 1", "1"), InfoLine("+CSQ: 9,99"), OK),
    ),
    Case(
        "huawei rssi inside a read",
        ("AT+CMGR=1",),
        f"\r\n^RSSI:3\r\n+CMGR: 0,,24\r\n{PDU}\r\nOK\r\n".encode(),
        (urc("^RSSI:3", "3"), InfoLine("+CMGR: 0,,24", PDU), OK),
    ),
    Case(
        "cmgl headers carry their pdus",
        ("AT+CMGL=4",),
        f"\r\n+CMGL: 1,0,,24\r\n{PDU}\r\n+CMGL: 2,1,,24\r\n{PDU}\r\n\r\nOK\r\n".encode(),
        (InfoLine("+CMGL: 1,0,,24", PDU), InfoLine("+CMGL: 2,1,,24", PDU), OK),
    ),
    Case(
        "junk line between header and pdu is passed by",
        ("AT+CMGL=4",),
        f"+CMGL: 1,0,,24\r\nAFSDLF SDKFJ\r\n{PDU}\r\nOK\r\n".encode(),
        (InfoLine("AFSDLF SDKFJ"), InfoLine("+CMGL: 1,0,,24", PDU), OK),
    ),
    Case(
        "corrupt pdu line still travels with its header",
        ("AT+CMGR=2",),
        b"+CMGR: 2,,164\r\n0BD0p2608>381p=*70\r\nOK\r\n",
        (InfoLine("+CMGR: 2,,164", "0BD0p2608>381p=*70"), OK),
    ),
    Case(
        "urc without colon between header and pdu",
        ("AT+CMGR=1",),
        f"+CMGR: 0,,24\r\nRING\r\n{PDU}\r\nOK\r\n".encode(),
        (urc("RING"), InfoLine("+CMGR: 0,,24", PDU), OK),
    ),
    Case(
        "urc between header and pdu",
        ("AT+CMGR=1",),
        f'+CMGR: 0,,24\r\n+CMTI: "SM",4\r\n{PDU}\r\nOK\r\n'.encode(),
        (urc('+CMTI: "SM",4', "SM", "4"), InfoLine("+CMGR: 0,,24", PDU), OK),
    ),
    Case(
        "header without pdu before the result",
        ("AT+CMGR=1",),
        b"+CMGR: ,,27\r\nOK\r\n",
        (InfoLine("+CMGR: ,,27"), OK),
    ),
    Case(
        "header without pdu before the next header",
        ("AT+CMGL=4",),
        f"+CMGL: 1,0,,24\r\n+CMGL: 2,0,,24\r\n{PDU}\r\nOK\r\n".encode(),
        (InfoLine("+CMGL: 1,0,,24"), InfoLine("+CMGL: 2,0,,24", PDU), OK),
    ),
    Case(
        "pdu line with a stray quote",
        ("AT+CMGR=5",),
        f'+CMGR: 1,,24\r\n{PDU}"\r\nOK\r\n'.encode(),
        (InfoLine("+CMGR: 1,,24", PDU), OK),
    ),
    Case(
        "prompt",
        ("AT+CMGS=24",),
        b"\r\n> ",
        (Prompt(),),
    ),
    Case(
        "prompt after echo",
        ("AT+CMGS=24",),
        b"AT+CMGS=24\r\r\n> ",
        (Prompt(),),
    ),
    Case(
        "urcs while waiting for the prompt",
        ("AT+CMGS=24",),
        b'\r\n+ZDONR: "METEOR",272,3,"CS_ONLY","ROAM_OFF"\r\n+CMTI: "SM",1\r\n> ',
        (
            urc(
                '+ZDONR: "METEOR",272,3,"CS_ONLY","ROAM_OFF"',
                "METEOR",
                "272",
                "3",
                "CS_ONLY",
                "ROAM_OFF",
            ),
            urc('+CMTI: "SM",1', "SM", "1"),
            Prompt(),
        ),
    ),
    Case(
        "error instead of prompt",
        ("AT+CMGS=24",),
        b"\r\n+CMS ERROR: 304\r\n",
        (FinalResult("CMS", 304),),
    ),
    Case(
        "prompt with a line end",
        ("AT+CMGS=24",),
        b"\r\n> \r\n",
        (Prompt(),),
    ),
    Case(
        "send result",
        ("AT+CMGS=24", f"PDU:{PDU}"),
        f"{PDU}\x1a\r\n+CMGS: 40\r\n\r\nOK\r\n".encode(),
        (InfoLine("+CMGS: 40"), OK),
    ),
    Case(
        "send result with interleaved urcs",
        ("AT+CMGS=24", f"PDU:{PDU}"),
        b'+ZPASR: "UMTS"\r\n+CMGS: 41\r\nOK\r\n',
        (urc('+ZPASR: "UMTS"', "UMTS"), InfoLine("+CMGS: 41"), OK),
    ),
    Case("idle urc", (), b'\r\n+CMTI: "SM",3\r\n', (urc('+CMTI: "SM",3', "SM", "3"),)),
    Case("idle status index", (), b'+CDSI: "SR",8\r\n', (urc('+CDSI: "SR",8', "SR", "8"),)),
    Case("ring", (), b"\r\nRING\r\n", (urc("RING"),)),
    Case(
        "clip",
        (),
        b'RING\r\n+CLIP: "+27820001234",145\r\n',
        (urc("RING"), urc('+CLIP: "+27820001234",145', "+27820001234", "145")),
    ),
    Case(
        "cmt with its pdu",
        (),
        f"\r\n+CMT: ,24\r\n{PDU}\r\n".encode(),
        (urc("+CMT: ,24", "", "24", payload=PDU),),
    ),
    Case(
        "cds with its pdu",
        (),
        f"\r\n+CDS: 24\r\n{PDU}\r\n".encode(),
        (urc("+CDS: 24", "24", payload=PDU),),
    ),
    Case(
        "text-mode cds has no pdu line",
        (),
        b'+CDS: 6,20,"0870000000",129\r\n',
        (urc('+CDS: 6,20,"0870000000",129', "6", "20", "0870000000", "129"),),
    ),
    Case(
        "cmt inside a command response",
        ("AT+CSQ",),
        f"+CMT: ,24\r\n{PDU}\r\n+CSQ: 1,2\r\nOK\r\n".encode(),
        (urc("+CMT: ,24", "", "24", payload=PDU), InfoLine("+CSQ: 1,2"), OK),
    ),
    Case(
        "cmt whose pdu never comes",
        ("AT+CSQ",),
        b"+CMT: ,24\r\nOK\r\n",
        (urc("+CMT: ,24", "", "24"), OK),
    ),
    Case(
        "cusd is unsolicited even while cusd is pending",
        ('AT+CUSD=1,"*101#",15',),
        b'\r\n+CUSD: 0,"Balance 5",15\r\n\r\nOK\r\n',
        (urc('+CUSD: 0,"Balance 5",15', "0", "Balance 5", "15"), OK),
    ),
    Case(
        "cusd spanning lines",
        (),
        b'+CUSD: 1,"Bal:$100\r\n1. Recharge\r\n2. Balance",15\r\n',
        (
            urc(
                '+CUSD: 1,"Bal:$100\n1. Recharge\n2. Balance",15',
                "1",
                "Bal:$100\n1. Recharge\n2. Balance",
                "15",
            ),
        ),
    ),
    Case(
        "cusd with bare lf inside quotes",
        (),
        b'+CUSD: 2,"a\nb",15\r\n',
        (urc('+CUSD: 2,"a\nb",15', "2", "a\nb", "15"),),
    ),
    Case(
        "vendor noise",
        (),
        b"^RSSI:13\r\n^BOOT:48175390,0,0,0,89\r\nRDY\r\n"
        b"SMS Ready\r\nCall Ready\r\n+CPIN: READY\r\n",
        (
            urc("^RSSI:13", "13"),
            urc("^BOOT:48175390,0,0,0,89", "48175390", "0", "0", "0", "89"),
            urc("RDY"),
            Unsolicited("SMS READY", (), "SMS Ready"),
            Unsolicited("CALL READY", (), "Call Ready"),
            urc("+CPIN: READY", "READY"),
        ),
    ),
    Case(
        "quectel sms done during a command",
        ("AT+CMGF=0",),
        b'\r\n+QIND: "SMS DONE"\r\nOK\r\n',
        (urc('+QIND: "SMS DONE"', "SMS DONE"), OK),
    ),
    Case(
        "unknown idle line",
        (),
        b"HELLO THERE\r\n",
        (Unsolicited("HELLO THERE", (), "HELLO THERE", known=False),),
    ),
    Case("late ok when idle", (), b"OK\r\n", (Unsolicited("OK", (), "OK", known=False),)),
    Case(
        "non-utf8 bytes are replaced",
        ("ATI",),
        b"Caf\xe9\xff\r\nOK\r\n",
        (InfoLine("Caf\ufffd\ufffd"), OK),
    ),
    Case("nul and ctrl-z stripped", ("AT",), b"\x00\x1aOK\x00\r\n", (OK,)),
]


def feed(conn: ATConnection, chunks: list[bytes]) -> list[Event]:
    events: list[Event] = []
    for chunk in chunks:
        conn.receive_data(chunk)
        while (event := conn.next_event()) is not NEED_DATA:
            assert not isinstance(event, type(NEED_DATA))
            events.append(event)
    return events


def prepared(commands: tuple[str, ...]) -> ATConnection:
    conn = ATConnection()
    for command in commands:
        if command.startswith("PDU:"):
            conn.send_pdu(command.removeprefix("PDU:"))
        else:
            conn.send(command)
    return conn


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_whole(case: Case) -> None:
    assert feed(prepared(case.commands), [case.wire]) == list(case.expected)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_byte_at_a_time(case: Case) -> None:
    chunks = [case.wire[i : i + 1] for i in range(len(case.wire))]
    assert feed(prepared(case.commands), chunks) == list(case.expected)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_with_trailing_bytes(case: Case) -> None:
    conn = prepared(case.commands)
    assert feed(conn, [case.wire + b"\r\n\r\n+CMTI: "]) == list(case.expected)
    assert feed(conn, [b'"SM",9\r\n'])[-1] == urc('+CMTI: "SM",9', "SM", "9")


def test_send_returns_command_with_cr() -> None:
    assert ATConnection().send(" AT+CSQ ") == b"AT+CSQ\r"


def test_send_waits_for_prompt_only_for_message_submission() -> None:
    prompting, testing = ATConnection(), ATConnection()
    prompting.send("AT+CMGS=24")
    testing.send("AT+CMGS=?")
    assert (prompting.state, testing.state) == (State.AWAIT_PROMPT, State.AWAIT_FINAL)


def test_send_pdu_appends_ctrl_z() -> None:
    conn = ATConnection()
    conn.send("AT+CMGS=24")
    assert conn.send_pdu("00AB") == b"00AB\x1a"
    assert conn.state is State.AWAIT_FINAL


def test_cancel_sends_escape_and_returns_to_idle() -> None:
    conn = ATConnection()
    conn.send("AT+CMGS=24")
    assert conn.cancel() == b"\x1b"
    assert conn.state is State.IDLE


def test_ok_returns_to_idle() -> None:
    conn = prepared(("AT",))
    assert feed(conn, [b"OK\r\n"]) == [OK]
    assert conn.state is State.IDLE


def test_new_command_flushes_a_header_still_waiting_for_its_pdu() -> None:
    conn = ATConnection()
    feed(conn, [b"+CMT: ,24\r\n"])
    conn.send("AT")
    assert feed(conn, [b"OK\r\n"]) == [urc("+CMT: ,24", "", "24"), OK]


def test_new_command_flushes_an_unterminated_ussd_string() -> None:
    conn = ATConnection()
    feed(conn, [b'+CUSD: 1,"never closed\r\n'])
    conn.send("AT")
    assert feed(conn, [b"OK\r\n"]) == [urc('+CUSD: 1,"never closed', "1", "never closed"), OK]


def test_cancel_flushes_a_header_still_waiting_for_its_pdu() -> None:
    conn = prepared(("AT+CMGR=1",))
    feed(conn, [b"+CMGR: 0,,24\r\n"])
    conn.cancel()
    assert feed(conn, [b""]) == [InfoLine("+CMGR: 0,,24")]


def test_overlong_line_is_cut() -> None:
    conn = ATConnection()
    events = feed(conn, [b"X" * 5000])
    assert events == [Unsolicited("X" * 4096, (), "X" * 4096, known=False)]


def test_unbalanced_ussd_string_is_cut_after_many_lines() -> None:
    conn = ATConnection()
    events = feed(conn, [b'+CUSD: 1,"open\r\n' + b"line\r\n" * 70])
    assert isinstance(events[0], Unsolicited)
    assert events[0].line.count("\n") == 63
    assert events[1:] == [Unsolicited("LINE", (), "line", known=False)] * 7
