"""The simulated modem's AT interpreter, byte for byte, with no threads or ptys.

Transcripts are written in the form real modems answer (V.250 framing: echo, then
``\\r\\n<info>\\r\\n`` blocks and a ``\\r\\n<result>\\r\\n`` final result).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drivers.pdu import Submit, decode, encode_deliver, encode_submit
from drivers.sim.commands import BODIES, HANDLERS
from drivers.sim.commands.sms import deliver_sms
from drivers.sim.identity import luhn_valid, make_identity
from drivers.sim.interpreter import Interpreter, Rebooting, SubmitAccepted, UssdRequested
from drivers.sim.state import PinState, SimCard
from drivers.sim.vendors import VENDORS

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def make_modem(vendor: str = "generic", *, echo: bool = True) -> Interpreter:
    personality = VENDORS[vendor]
    modem = Interpreter(
        personality, make_identity(0), SimCard.fresh(personality.first_index), HANDLERS, BODIES
    )
    modem.power_on()
    modem.take_output()
    if not echo:
        talk(modem, b"ATE0\r")
    return modem


def talk(modem: Interpreter, data: bytes) -> bytes:
    modem.receive(data)
    return modem.take_output()


def talk_bytewise(modem: Interpreter, data: bytes) -> bytes:
    for byte in data:
        modem.receive(bytes([byte]))
    return modem.take_output()


CORE = [
    (b"AT\r", b"AT\r\r\nOK\r\n"),
    (b"at\r", b"at\r\r\nOK\r\n"),
    (b"ATE0\r", b"ATE0\r\r\nOK\r\n"),
    (b"ATI\r", b"ATI\r\r\nCellgate SIM-1\r\nRevision: 1.0.0\r\n\r\nOK\r\n"),
    (b"AT+CGMI\r", b"AT+CGMI\r\r\nCellgate\r\n\r\nOK\r\n"),
    (b"AT+CGMM=?\r", b"AT+CGMM=?\r\r\nOK\r\n"),
    (b"AT+CGSN\r", b"AT+CGSN\r\r\n356909090000011\r\n\r\nOK\r\n"),
    (b"AT+CIMI\r", b"AT+CIMI\r\r\n001010000000001\r\n\r\nOK\r\n"),
    (b"AT+CCID\r", b"AT+CCID\r\r\n+CCID: 89001010000000000018\r\n\r\nOK\r\n"),
    (b"AT+CNUM\r", b'AT+CNUM\r\r\n+CNUM: "","+15550000001",145\r\n\r\nOK\r\n'),
    (b"AT+CPIN?\r", b"AT+CPIN?\r\r\n+CPIN: READY\r\n\r\nOK\r\n"),
    (b"AT+CMEE?\r", b"AT+CMEE?\r\r\n+CMEE: 0\r\n\r\nOK\r\n"),
    (b"AT+CMGF=?\r", b"AT+CMGF=?\r\r\n+CMGF: (0,1)\r\n\r\nOK\r\n"),
    (b"AT+CMGF=2\r", b"AT+CMGF=2\r\r\nERROR\r\n"),
    (b"AT+CSCS?\r", b'AT+CSCS?\r\r\n+CSCS: "IRA"\r\n\r\nOK\r\n'),
    (b"AT+CSCA?\r", b'AT+CSCA?\r\r\n+CSCA: "+15550009000",145\r\n\r\nOK\r\n'),
    (b"AT+CSMP?\r", b"AT+CSMP?\r\r\n+CSMP: 17,167,0,0\r\n\r\nOK\r\n"),
    (b"AT+CPMS?\r", b'AT+CPMS?\r\r\n+CPMS: "SM",0,30,"SM",0,30,"SM",0,30\r\n\r\nOK\r\n'),
    (
        b'AT+CPMS="SM","SM","SM"\r',
        b'AT+CPMS="SM","SM","SM"\r\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n',
    ),
    (b"AT+CNMI=?\r", b"AT+CNMI=?\r\r\n+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)\r\n\r\nOK\r\n"),
    (b"AT+CNMI?\r", b"AT+CNMI?\r\r\n+CNMI: 2,1,0,0,0\r\n\r\nOK\r\n"),
    (b"AT+CSQ\r", b"AT+CSQ\r\r\n+CSQ: 20,0\r\n\r\nOK\r\n"),
    (b"AT+CREG?\r", b"AT+CREG?\r\r\n+CREG: 0,1\r\n\r\nOK\r\n"),
    (b"AT+COPS?\r", b'AT+COPS?\r\r\n+COPS: 0,0,"Cellgate Sim",7\r\n\r\nOK\r\n'),
    (b"AT+CFUN?\r", b"AT+CFUN?\r\r\n+CFUN: 1\r\n\r\nOK\r\n"),
    (b"AT+CMGD=?\r", b"AT+CMGD=?\r\r\n+CMGD: (),(0-4)\r\n\r\nOK\r\n"),
    (b"AT+CMGR=1\r", b"AT+CMGR=1\r\r\nERROR\r\n"),
    (b"AT+NOPE\r", b"AT+NOPE\r\r\nERROR\r\n"),
    (b"ATE0+CMEE=1;+CLIP=1;+CREG=2\r", b"ATE0+CMEE=1;+CLIP=1;+CREG=2\r\r\nOK\r\n"),
    (b"garbage\r", b"garbage\r"),
]


@pytest.mark.parametrize(("sent", "answer"), CORE, ids=[case[0].decode() for case in CORE])
def test_core_command(sent: bytes, answer: bytes) -> None:
    assert talk(make_modem(), sent) == answer


@pytest.mark.parametrize(("sent", "answer"), CORE[:8], ids=[c[0].decode() for c in CORE[:8]])
def test_core_command_fed_one_byte_at_a_time(sent: bytes, answer: bytes) -> None:
    assert talk_bytewise(make_modem(), sent) == answer


def test_identity_numbers_pass_their_check_digits() -> None:
    identity = make_identity(7)
    assert luhn_valid(identity.imei)
    assert len(identity.imei) == 15
    assert luhn_valid(identity.iccid)
    assert len(identity.iccid) == 20
    assert identity.imsi.startswith(identity.mcc_mnc)
    assert len(identity.imsi) == 15


def test_echo_off_and_numeric_results() -> None:
    modem = make_modem(echo=False)
    assert talk(modem, b"AT\r") == b"\r\nOK\r\n"
    assert talk(modem, b"ATV0\r") == b"0\r"
    assert talk(modem, b"AT+CSQ\r") == b"+CSQ: 20,0\r\n0\r"
    assert talk(modem, b"AT+BOGUS\r") == b"4\r"
    assert talk(modem, b"ATV1\r") == b"\r\nOK\r\n"


def test_cmee_levels_shape_errors() -> None:
    modem = make_modem(echo=False)
    assert talk(modem, b"AT+CMGR=99\r") == b"\r\nERROR\r\n"
    talk(modem, b"AT+CMEE=1\r")
    assert talk(modem, b"AT+CMGR=99\r") == b"\r\n+CMS ERROR: 321\r\n"
    talk(modem, b"AT+CMEE=2\r")
    assert talk(modem, b"AT+CMGR=99\r") == b"\r\n+CMS ERROR: invalid memory index\r\n"
    assert talk(modem, b"AT+CFUN=7\r") == b"\r\n+CME ERROR: incorrect parameters\r\n"


def test_atz_restores_power_up_settings() -> None:
    modem = make_modem(echo=False)
    talk(modem, b"AT+CMEE=2;+CMGF=1\r")
    assert talk(modem, b"ATZ\r") == b"\r\nOK\r\n"
    assert talk(modem, b"AT+CMGF?\r") == b"AT+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n"


def test_backspace_edits_and_a_slash_repeats() -> None:
    modem = make_modem(echo=False)
    assert talk(modem, b"AT+CGMX\bI\r") == b"\r\nCellgate\r\n\r\nOK\r\n"
    assert talk(modem, b"A/") == b"\r\nCellgate\r\n\r\nOK\r\n"


def cmgs(modem: Interpreter, to: str, text: str, **kw: object) -> tuple[bytes, bytes]:
    part = encode_submit(to, text, **kw)[0]  # type: ignore[arg-type]
    prompt = talk(modem, f"AT+CMGS={part.tpdu_length}\r".encode())
    return prompt, talk(modem, part.pdu.encode() + b"\x1a")


def test_cmgs_prompts_then_answers_when_the_network_accepts() -> None:
    modem = make_modem(echo=False)
    prompt, after_body = cmgs(modem, "+447700900123", "hi")
    assert (prompt, after_body) == (b"\r\n> ", b"")
    [effect] = modem.take_effects()
    assert isinstance(effect, SubmitAccepted)
    assert effect.reference == 1
    submit = decode(effect.pdu)
    assert isinstance(submit, Submit)
    assert submit.text == "hi"
    assert talk(modem, b"AT\r") == b""  # busy: the command waits for the send
    modem.complete_submit()
    assert modem.take_output() == b"\r\n+CMGS: 1\r\n\r\nOK\r\n\r\nOK\r\n"
    cmgs(modem, "+447700900123", "again")
    [second] = modem.take_effects()
    assert isinstance(second, SubmitAccepted)
    assert second.reference == 2


def test_cmgs_with_echo_echoes_the_pdu() -> None:
    modem = make_modem()
    part = encode_submit("+447700900123", "hi")[0]
    assert talk(modem, f"AT+CMGS={part.tpdu_length}\r".encode()).endswith(b"\r\r\n> ")
    assert talk(modem, part.pdu.encode() + b"\x1a") == part.pdu.encode()


def test_a_pdu_fed_whole_or_byte_by_byte_is_the_same_send_and_echo() -> None:
    part = encode_submit("+447700900123", "hi")[0]
    # A mistyped digit rubbed out mid-PDU, and the next command in the same write: it
    # waits while the modem is busy with the send.
    body = part.pdu[:10].encode() + b"7\x08" + part.pdu[10:].encode() + b"\x1aAT\r"
    answers = []
    for chunks in ([body], [bytes([b]) for b in body]):
        modem = make_modem()
        talk(modem, f"AT+CMGS={part.tpdu_length}\r".encode())
        echo = b"".join(talk(modem, chunk) for chunk in chunks)
        [effect] = modem.take_effects()
        assert isinstance(effect, SubmitAccepted)
        modem.complete_submit()
        answers.append((echo, effect.pdu, modem.take_output()))
    assert answers[0] == answers[1]
    echo, pdu, after = answers[0]
    assert echo == part.pdu[:10].encode() + b"7\x08" + part.pdu[10:].encode()
    assert pdu == part.pdu
    assert after.endswith(b"OK\r\nAT\r\r\nOK\r\n")


def test_escape_cancels_a_send() -> None:
    modem = make_modem(echo=False)
    talk(modem, b"AT+CMGS=20\r")
    assert talk(modem, b"0011\x1b") == b"\r\nOK\r\n"
    assert modem.take_effects() == []


@pytest.mark.parametrize(
    "body",
    [b"ZZ\x1a", b"001\x1a", b"0001000B914477009021F30000026834\x1a"],
    ids=["not hex", "odd length", "length mismatch"],
)
def test_bad_pdu_is_cms_304(body: bytes) -> None:
    modem = make_modem(echo=False)
    talk(modem, b"AT+CMEE=1;+CMGS=99\r")
    assert talk(modem, body) == b"\r\n+CMS ERROR: 304\r\n"


def test_text_mode_send_and_list() -> None:
    modem = make_modem(echo=False)
    talk(modem, b"AT+CMGF=1\r")
    assert talk(modem, b'AT+CMGS="+447700900123"\r') == b"\r\n> "
    talk(modem, b"Hello text\x1a")
    [effect] = modem.take_effects()
    assert isinstance(effect, SubmitAccepted)
    submit = decode(effect.pdu)
    assert isinstance(submit, Submit)
    assert submit.text == "Hello text"
    modem.complete_submit()
    modem.take_output()
    sent_at = datetime(2024, 5, 1, 12, 30, 0, tzinfo=UTC)
    for pdu in encode_deliver("+15550000001", "Hi back", timestamp=sent_at):
        assert deliver_sms(modem, pdu)
    assert modem.take_output() == b'\r\n+CMTI: "SM",1\r\n'
    assert talk(modem, b'AT+CMGL="ALL"\r') == (
        b'\r\n+CMGL: 1,"REC UNREAD","+15550000001",,"24/05/01,12:30:00+00"\r\nHi back\r\n\r\nOK\r\n'
    )
    assert talk(modem, b"AT+CMGR=1\r") == (
        b'\r\n+CMGR: "REC READ","+15550000001",,"24/05/01,12:30:00+00"\r\nHi back\r\n\r\nOK\r\n'
    )


def test_cmgw_fills_storage_to_memory_full_and_cmgd_frees() -> None:
    modem = make_modem(echo=False)
    part = encode_submit("+447700900123", "stored")[0]
    talk(modem, b"AT+CMEE=1\r")
    for index in range(1, 31):
        talk(modem, f"AT+CMGW={part.tpdu_length}\r".encode())
        assert (
            talk(modem, part.pdu.encode() + b"\x1a") == f"\r\n+CMGW: {index}\r\n\r\nOK\r\n".encode()
        )
    talk(modem, f"AT+CMGW={part.tpdu_length}\r".encode())
    assert talk(modem, part.pdu.encode() + b"\x1a") == b"\r\n+CMS ERROR: 322\r\n"
    assert talk(modem, b"AT+CMGD=31\r") == b"\r\n+CMS ERROR: 321\r\n"
    assert talk(modem, b"AT+CMGD=3\r") == b"\r\nOK\r\n"
    assert talk(modem, b"AT+CMGD=1,4\r") == b"\r\nOK\r\n"
    assert talk(modem, b"AT+CPMS?\r") == b'\r\n+CPMS: "SM",0,30,"SM",0,30,"SM",0,30\r\n\r\nOK\r\n'


def test_cmss_sends_a_stored_message() -> None:
    modem = make_modem(echo=False)
    part = encode_submit("+447700900123", "stored")[0]
    talk(modem, f"AT+CMGW={part.tpdu_length}\r".encode())
    talk(modem, part.pdu.encode() + b"\x1a")
    talk(modem, b"AT+CMSS=1\r")
    [effect] = modem.take_effects()
    assert isinstance(effect, SubmitAccepted)
    modem.complete_submit()
    assert modem.take_output() == b"\r\n+CMSS: 1\r\n\r\nOK\r\n"
    assert talk(modem, b"AT+CMSS=9\r") == b"\r\nERROR\r\n"


def test_pdu_list_marks_unread_as_read() -> None:
    modem = make_modem(echo=False)
    [pdu] = encode_deliver("+447700900123", "one", timestamp=datetime(2024, 1, 1, tzinfo=UTC))
    deliver_sms(modem, pdu)
    modem.take_output()
    length = len(pdu) // 2 - 1
    assert (
        talk(modem, b"AT+CMGL=0\r") == f"\r\n+CMGL: 1,0,,{length}\r\n{pdu}\r\n\r\nOK\r\n".encode()
    )
    assert talk(modem, b"AT+CMGL=0\r") == b"\r\nOK\r\n"
    assert talk(modem, b"AT+CMGR=1\r") == f"\r\n+CMGR: 1,,{length}\r\n{pdu}\r\n\r\nOK\r\n".encode()


def test_cnmi_mode_zero_holds_indications_until_mode_changes() -> None:
    modem = make_modem(echo=False)
    talk(modem, b"AT+CNMI=0,1,0,0,0\r")
    [pdu] = encode_deliver("+447700900123", "held", timestamp=datetime(2024, 1, 1, tzinfo=UTC))
    deliver_sms(modem, pdu)
    assert modem.take_output() == b""
    assert talk(modem, b"AT+CNMI=2,1,0,0,0\r") == b'\r\n+CMTI: "SM",1\r\n\r\nOK\r\n'


def test_cnmi_mt_2_routes_directly_as_cmt() -> None:
    modem = make_modem(echo=False)
    talk(modem, b"AT+CNMI=2,2,0,0,0\r")
    [pdu] = encode_deliver("+447700900123", "direct", timestamp=datetime(2024, 1, 1, tzinfo=UTC))
    assert deliver_sms(modem, pdu)
    assert modem.take_output() == f"\r\n+CMT: ,{len(pdu) // 2 - 1}\r\n{pdu}\r\n".encode()
    assert modem.sim.stores["SM"].used == 0


def test_sim800_rejects_ds_2_and_reads_empty_slots_as_ok() -> None:
    modem = make_modem("sim800", echo=False)
    talk(modem, b"AT+CMEE=1\r")
    assert talk(modem, b"AT+CNMI=?\r") == b"\r\n+CNMI: (0-3),(0-3),(0,2),(0,1),(0,1)\r\n\r\nOK\r\n"
    assert talk(modem, b"AT+CNMI=2,1,0,2,0\r") == b"\r\n+CMS ERROR: 303\r\n"
    assert talk(modem, b"AT+CMGR=5\r") == b"\r\nOK\r\n"


def test_huawei_quirks() -> None:
    modem = make_modem("huawei", echo=False)
    assert talk(modem, b"AT+WIND?\r") == b"\r\nCOMMAND NOT SUPPORT\r\n"
    assert talk(modem, b"AT^ICCID?\r") == b"\r\n^ICCID: 89001010000000000018\r\n\r\nOK\r\n"
    modem.noise()
    assert modem.take_output() == b"\r\n^RSSI:20\r\n^BOOT:48175390,0,0,0,89\r\n"
    talk(modem, b"AT^CURC=0\r")
    modem.noise()
    assert modem.take_output() == b""


def test_sim_pin_locks_until_entered() -> None:
    modem = make_modem(echo=False)
    modem.sim.pin_state = PinState.SIM_PIN
    talk(modem, b"AT+CMEE=1\r")
    assert talk(modem, b"AT+CPIN?\r") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    assert talk(modem, b"AT+CIMI\r") == b"\r\n+CME ERROR: 11\r\n"
    assert talk(modem, b"AT+CMGL=4\r") == b"\r\n+CMS ERROR: 311\r\n"
    assert talk(modem, b'AT+CPIN="0000"\r') == b"\r\n+CME ERROR: 16\r\n"
    assert talk(modem, b'AT+CPIN="1234"\r') == b"\r\nOK\r\n"
    assert talk(modem, b"AT+CPIN?\r") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"
    assert talk(modem, b'AT+CPIN="1234"\r') == b"\r\n+CME ERROR: 3\r\n"


def test_cfun_reset_reboots_with_vendor_boot_noise() -> None:
    modem = make_modem("sim800", echo=False)
    assert talk(modem, b"AT+CFUN=1,1\r") == b"\r\nOK\r\n"
    assert modem.take_effects() == [Rebooting()]
    assert talk(modem, b"AT\r") == b""
    modem.power_on()
    assert modem.take_output() == (
        b"\r\nRDY\r\n+CFUN: 1\r\n+CPIN: READY\r\nCall Ready\r\nSMS Ready\r\n"
    )
    assert talk(modem, b"AT\r") == b"AT\r\r\nOK\r\n"


def test_quectel_boot_noise() -> None:
    personality = VENDORS["quectel"]
    modem = Interpreter(personality, make_identity(0), SimCard.fresh(1), HANDLERS, BODIES)
    modem.power_on()
    assert b"+QIND: SMS DONE\r\n" in modem.take_output()


def test_registration_urc_when_the_network_goes() -> None:
    modem = make_modem(echo=False)
    talk(modem, b"AT+CREG=1;+CMEE=1\r")
    modem.faults.no_network = True
    modem.registration_changed()
    assert modem.take_output() == b"\r\n+CREG: 2\r\n"
    assert talk(modem, b"AT+CSQ\r") == b"\r\n+CSQ: 99,99\r\n\r\nOK\r\n"
    assert talk(modem, b"AT+CREG=2;+CREG?\r") == b"\r\n+CREG: 2,2\r\n\r\nOK\r\n"
    part = encode_submit("+447700900123", "no network")[0]
    talk(modem, f"AT+CMGS={part.tpdu_length}\r".encode())
    assert talk(modem, part.pdu.encode() + b"\x1a") == b"\r\n+CMS ERROR: 331\r\n"


def test_injected_cms_errors_fail_the_next_sends() -> None:
    modem = make_modem(echo=False)
    talk(modem, b"AT+CMEE=1\r")
    modem.faults.cms_code, modem.faults.cms_count = 38, 1
    part = encode_submit("+447700900123", "x")[0]
    talk(modem, f"AT+CMGS={part.tpdu_length}\r".encode())
    assert talk(modem, part.pdu.encode() + b"\x1a") == b"\r\n+CMS ERROR: 38\r\n"
    talk(modem, f"AT+CMGS={part.tpdu_length}\r".encode())
    talk(modem, part.pdu.encode() + b"\x1a")
    assert isinstance(modem.take_effects()[0], SubmitAccepted)


def test_cusd_asks_the_network() -> None:
    modem = make_modem(echo=False)
    assert talk(modem, b'AT+CUSD=1,"*100#",15\r') == b"\r\nOK\r\n"
    assert modem.take_effects() == [UssdRequested("*100#")]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_huawei_matches_the_captured_e1752() -> None:
    model = json.loads((CORPUS / "python-gsmmodem" / "fakemodems.json").read_text())["models"][
        "HuaweiE1752"
    ]
    modem = make_modem("huawei", echo=False)
    for command in ("AT+CGMI\r", "AT+CGMM\r", "AT+CGMR\r", "AT+CPIN?\r", "AT+WIND?\r"):
        *info, final = model["responses"][command]
        expected = ("\r\n" + "".join(info) if info else "") + "\r\n" + final
        assert talk(modem, command.encode()) == expected.encode(), command
