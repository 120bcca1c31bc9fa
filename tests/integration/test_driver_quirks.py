"""The driver against scripted modems on a real pseudo-terminal, for the quirks of real
hardware the simulator does not play (answers taken from public captures)."""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drivers.errors import (
    ATProtocolError,
    CmsError,
    CommandError,
    CommandTimeout,
    PinRequiredError,
    RetryClass,
    TransportError,
)
from drivers.modem import Modem, events

Reply = str | Callable[[str], str] | None


def ok(*lines: str) -> str:
    return "".join(f"\r\n{line}\r\n" for line in lines) + "\r\nOK\r\n"


BASE: dict[str, Reply] = {
    "AT": ok(),
    "ATE0": ok(),
    "AT+CMEE=1": ok(),
    "AT+CGMI": ok("Scripted"),
    "AT+CGMM": ok("X1"),
    "AT+CPIN?": ok("+CPIN: READY"),
    "AT+CMGF=0": ok(),
    'AT+CPMS="SM","SM","SM"': ok("+CPMS: 0,30,0,30,0,30"),
    "AT+CNMI=?": ok("+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)"),
    "AT+CNMI=2,1,0,2,0": ok(),
    "AT+CSQ": ok("+CSQ: 20,99"),
}


class ScriptedModem:
    """A modem on a pty that answers each command line from a table (else ERROR)."""

    def __init__(
        self, replies: dict[str, Reply], *, echo: bool = False, prompt_after: float = 0.0
    ) -> None:
        self.replies = {**BASE, **replies}
        self.echo = echo
        self.prompt_after = prompt_after  # seconds before the "> " of AT+CMGS
        self.wire: list[str] = []
        self.references = 0
        self.hung = False  # ignore everything but a reset command
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop_read, self._stop_write = os.pipe()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def push(self, text: str) -> None:
        os.write(self._master, text.encode("latin-1"))

    def close(self) -> None:
        os.write(self._stop_write, b"x")
        self._thread.join(timeout=5)
        for fd in (self._master, self._slave, self._stop_read, self._stop_write):
            os.close(fd)

    def _serve(self) -> None:
        buffer = b""
        while True:
            readable, _, _ = select.select([self._master, self._stop_read], [], [])
            if self._stop_read in readable:
                return
            buffer += os.read(self._master, 4096)
            while True:
                end = min(
                    (i for i in (buffer.find(b"\r"), buffer.find(b"\x1a")) if i >= 0), default=-1
                )
                if end < 0:
                    break
                line, buffer = buffer[:end].decode("latin-1"), buffer[end + 1 :]
                self._answer(line.strip("\x1b"))

    def _answer(self, line: str) -> None:
        if not line:
            return
        self.wire.append(line)
        if self.hung:
            self.hung = line != "AT+CFUN=1,1"
            return
        if self.echo:
            self.push(line + "\r")
        if line.startswith("AT+CMGS="):
            if self.prompt_after:
                threading.Timer(self.prompt_after, self.push, args=("\r\n> ",)).start()
            else:
                self.push("\r\n> ")
            return
        if self.wire[-2:-1] and self.wire[-2].startswith("AT+CMGS="):
            reply = self.replies.get("PDU", None)
            if reply is None:
                self.references += 1
                reply = ok(f"+CMGS: {self.references}")
        else:
            reply = self.replies.get(line, "\r\nERROR\r\n")
        if callable(reply):
            reply = reply(line)
        if reply:
            self.push(reply)


class EventLog:
    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: events.Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for_count(self, kind: type[Any], count: int, timeout: float = 5.0) -> list[Any]:
        with self._cond:
            self._cond.wait_for(
                lambda: sum(isinstance(e, kind) for e in self.events) >= count, timeout
            )
            found = [e for e in self.events if isinstance(e, kind)]
        assert len(found) >= count, self.events
        return found


@pytest.fixture
def script() -> Iterator[Callable[..., ScriptedModem]]:
    made: list[ScriptedModem] = []

    def make(replies: dict[str, Reply] | None = None, **kw: Any) -> ScriptedModem:
        peer = ScriptedModem(replies or {}, **kw)
        made.append(peer)
        return peer

    yield make
    for peer in made:
        peer.close()


@pytest.fixture
def modem_for() -> Iterator[Callable[..., Modem]]:
    opened: list[Modem] = []

    def open_modem(peer: ScriptedModem, **kw: Any) -> Modem:
        kw.setdefault("command_timeout", 1.0)
        modem = Modem(peer.path, **kw)
        modem.open()
        opened.append(modem)
        return modem

    yield open_modem
    for modem in opened:
        modem.close()


def test_echo_that_survives_ate0_is_swallowed(script: Any, modem_for: Any) -> None:
    peer = script(echo=True)
    modem = modem_for(peer)
    assert modem.signal().rssi == 20


def test_urc_between_response_and_ok_is_not_lost(script: Any, modem_for: Any) -> None:
    peer = script({"AT+CSQ": '\r\n+CSQ: 20,99\r\n+CMTI: "SM",7\r\n\r\nOK\r\n'})
    log = EventLog()
    modem = modem_for(peer, on_event=log)
    assert modem.signal().rssi == 20
    assert log.wait_for_count(events.NewMessageStored, 1) == [events.NewMessageStored("SM", 7)]


def test_burst_of_indications_all_arrive(script: Any, modem_for: Any) -> None:
    peer = script()
    log = EventLog()
    modem_for(peer, on_event=log)
    peer.push("".join(f'\r\n+CMTI: "SM",{i}\r\n' for i in range(1, 11)))
    found = log.wait_for_count(events.NewMessageStored, 10)
    assert [e.index for e in found] == list(range(1, 11))


def test_late_answer_is_never_taken_for_the_next_command(script: Any, modem_for: Any) -> None:
    answers = iter(["late", ok("+CSQ: 5,99"), ok("+CSQ: 25,99")])

    def csq(_: str) -> str:
        answer = next(answers)
        if answer == "late":
            threading.Timer(0.4, peer.push, [ok("+CSQ: 1,99")]).start()
            return ""
        return answer

    peer = script({"AT+CSQ": csq})
    modem = modem_for(peer, command_timeout=0.3)
    with pytest.raises(CommandTimeout):
        modem.signal()
    assert modem.signal().rssi == 5
    assert modem.signal().rssi == 25


def test_failing_callback_does_not_stop_later_events(script: Any, modem_for: Any) -> None:
    peer = script()
    log = EventLog()

    def callback(event: events.Event) -> None:
        log(event)
        raise RuntimeError("user code bug")

    modem_for(peer, on_event=callback)
    peer.push('\r\n+CMTI: "SM",1\r\n\r\n+CMTI: "SM",2\r\n')
    assert len(log.wait_for_count(events.NewMessageStored, 2)) == 2


def test_unknown_urc_is_reported_and_ignored(script: Any, modem_for: Any) -> None:
    peer = script()
    log = EventLog()
    modem = modem_for(peer, on_event=log)
    peer.push("\r\n+XYZZY: 1\r\n")
    assert log.wait_for_count(events.UnknownUnsolicited, 1) == [
        events.UnknownUnsolicited("+XYZZY: 1")
    ]
    assert modem.healthy


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('\r\n+CUSD: 0,"Balance 5",15\r\n\r\nOK\r\n', "Balance 5"),  # before OK
        ('\r\nOK\r\n\r\n+CUSD: 0,"Balance 6",15\r\n', "Balance 6"),  # after OK
        ('\r\n+CUSD: 2,"Initiating Release",15\r\n+CUSD: 0,"Balance 7",15\r\nOK\r\n', "Balance 7"),
        (
            '\r\nOK\r\n+CUSD: 1,"Bal:$100 *\r\n1. Recharge\r\n2. Balance",15\r\n',
            "Bal:$100 *\n1. Recharge\n2. Balance",
        ),
        ('\r\nOK\r\n+CUSD: 0,"00480069",72\r\n', "Hi"),
        ('\r\nOK\r\n+CUSD: 2,"Session ended",15\r\n', "Session ended"),
    ],
)
def test_ussd_variants(script: Any, modem_for: Any, reply: str, expected: str) -> None:
    peer = script({'AT+CUSD=1,"*100#",15': reply, "AT+CUSD=2": ok()})
    modem = modem_for(peer)
    assert modem.ussd("*100#", timeout=2.0) == expected


def test_ussd_without_answer_times_out(script: Any, modem_for: Any) -> None:
    peer = script({'AT+CUSD=1,"*100#",15': ok()})
    modem = modem_for(peer)
    with pytest.raises(CommandTimeout):
        modem.ussd("*100#", timeout=0.3)
    assert peer.wire[-1] == "AT+CUSD=2"


def test_ussd_code_is_validated(script: Any, modem_for: Any) -> None:
    modem = modem_for(script())
    with pytest.raises(ValueError, match="USSD"):
        modem.ussd('*100#",15\rATZ')


def test_wavecom_cpin_without_ok(script: Any, modem_for: Any) -> None:
    peer = script(
        {
            "AT+CGMI": ok(" WAVECOM MODEM"),
            "AT+CGMM": ok(" MULTIBAND  900E  1800"),
            "AT+CPIN?": "\r\n+CPIN: READY\r\n",
        }
    )
    modem = modem_for(peer, command_timeout=0.5)
    assert modem.profile.name == "wavecom"
    assert modem.signal().rssi == 20


def test_huawei_identity_with_its_own_iccid_command(script: Any, modem_for: Any) -> None:
    peer = script(
        {
            "AT+CGMI": ok("huawei"),
            "AT+CGMM": ok("E1752"),
            "AT+CGMR": ok("11.126.13.00.00"),
            "AT+CGSN": ok("861234567890123"),
            "AT+CIMI": ok("001010000000001"),
            "AT^ICCID?": ok("^ICCID: 89441000000000000012"),
            "AT+CNUM": "\r\nCOMMAND NOT SUPPORT\r\n",
            "AT^CURC=0": ok(),
        }
    )
    modem = modem_for(peer)
    identity = modem.identity()
    assert (identity.manufacturer, identity.iccid, identity.number) == (
        "huawei",
        "89441000000000000012",
        None,
    )
    assert "AT^CURC=0" in peer.wire


def test_modem_without_cnmi_still_opens(script: Any, modem_for: Any) -> None:
    peer = script({"AT+CNMI=?": "\r\nERROR\r\n", "AT+CNMI=2,1,0,2,0": "\r\nERROR\r\n"})
    modem = modem_for(peer)
    assert modem.healthy
    assert [c for c in peer.wire if c.startswith("AT+CNMI=")][-1] == "AT+CNMI=1,1,0,0,0"


def test_pin_locked_sim(script: Any) -> None:
    peer = script({"AT+CPIN?": "\r\n+CME ERROR: 11\r\n"})
    with pytest.raises(PinRequiredError, match="SIM PIN"):
        Modem(peer.path, command_timeout=1.0).open()


def test_pin_from_config_is_entered(script: Any, modem_for: Any) -> None:
    states = iter([ok("+CPIN: SIM PIN"), ok("+CPIN: READY")])
    peer = script({"AT+CPIN?": lambda _: next(states), 'AT+CPIN="1234"': ok()})
    modem_for(peer, pin="1234")
    assert 'AT+CPIN="1234"' in peer.wire


def test_puk_is_never_guessed(script: Any) -> None:
    peer = script({"AT+CPIN?": ok("+CPIN: SIM PUK")})
    with pytest.raises(PinRequiredError, match="SIM PUK"):
        Modem(peer.path, pin="1234", command_timeout=1.0).open()
    assert not any(c.startswith("AT+CPIN=") for c in peer.wire)


def test_missing_port_is_a_transport_error(tmp_path: Any) -> None:
    with pytest.raises(TransportError):
        Modem(str(tmp_path / "ttyUSB9")).open()


def test_silent_modem_does_not_open(script: Any) -> None:
    peer = script({"AT": ""})
    with pytest.raises(CommandTimeout):
        Modem(peer.path, command_timeout=0.2).open()


def test_concurrent_sends_never_interleave_on_the_wire(script: Any, modem_for: Any) -> None:
    peer = script()
    modem = modem_for(peer, send_timeout=5.0)
    results: list[list[int]] = []

    def send(n: int) -> None:
        results.append(modem.send_sms("+447700900123", f"message {n} " + "x" * 200).references)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    sends = [c for c in peer.wire if c.startswith("AT+CMGS=") or c.startswith("00")]
    assert len(sends) == 16
    assert all(
        a.startswith("AT+CMGS=") and b.startswith("00")
        for a, b in zip(sends[::2], sends[1::2], strict=True)
    )
    assert sorted(ref for refs in results for ref in refs) == list(range(1, 9))
    cmms = [c for c in peer.wire if c.startswith("AT+CMMS")]
    assert cmms == ["AT+CMMS=2", "AT+CMMS=0"] * 4


def test_send_without_final_result_is_outcome_unknown(script: Any, modem_for: Any) -> None:
    peer = script({"PDU": ""})
    modem = modem_for(peer, send_timeout=0.3)
    with pytest.raises(CommandTimeout) as timed_out:
        modem.send_sms("+447700900123", "did it go?")
    assert timed_out.value.retry_class is RetryClass.UNKNOWN
    assert modem.signal().rssi == 20


def test_the_send_timeout_runs_from_the_prompt(script: Any, modem_for: Any) -> None:
    """The sender sleeps through the prompt (the reader writes the PDU), so the wait for
    the answer must still give the network the whole timeout from the PDU on."""
    peer = script({"PDU": ""}, prompt_after=0.3)
    modem = modem_for(peer, send_timeout=0.4)
    started = time.monotonic()
    with pytest.raises(CommandTimeout) as timed_out:
        modem.send_sms("+447700900123", "slow network")
    assert time.monotonic() - started >= 0.65
    assert timed_out.value.retry_class is RetryClass.UNKNOWN


def test_a_send_that_timed_out_waiting_for_the_prompt_never_writes_its_pdu(
    script: Any, modem_for: Any
) -> None:
    """The reader writes the PDU when the prompt comes: a prompt after the timeout must
    find nothing to write, or a send reported as never made would go out."""
    peer = script(prompt_after=0.5)
    modem = modem_for(peer, send_timeout=0.2)
    with pytest.raises(CommandTimeout) as timed_out:
        modem.send_sms("+447700900123", "not now")
    assert timed_out.value.retry_class is not RetryClass.UNKNOWN
    time.sleep(0.5)  # the late prompt arrives
    assert modem.signal().rssi == 20
    assert not [line for line in peer.wire if line.startswith("00")]
    peer.prompt_after = 0.0
    modem.send_sms("+447700900123", "now")
    assert len([line for line in peer.wire if line.startswith("00")]) == 1


def test_modem_that_stops_answering_is_reset_and_reinitialised(script: Any, modem_for: Any) -> None:
    peer = script()
    log = EventLog()
    modem = modem_for(peer, on_event=log, command_timeout=0.3, reconnect_interval=0.1)
    peer.hung = True
    with pytest.raises(CommandTimeout):
        modem.signal()
    log.wait_for_count(events.ModemLost, 1)
    log.wait_for_count(events.ModemRecovered, 1)
    assert "AT+CFUN=1,1" in peer.wire
    assert peer.wire[-1].startswith("AT+CNMI=")  # re-initialised after the reset
    assert modem.signal().rssi == 20


def test_health_check_notices_a_silent_modem_between_commands(script: Any, modem_for: Any) -> None:
    peer = script()
    log = EventLog()
    modem_for(peer, on_event=log, command_timeout=0.3, health_interval=0.2, reconnect_interval=0.1)
    peer.hung = True
    assert log.wait_for_count(events.ModemLost, 1) == [events.ModemLost("modem stopped answering")]
    log.wait_for_count(events.ModemRecovered, 1)


def test_sms_setup_retries_while_the_sim_is_busy(script: Any, modem_for: Any) -> None:
    answers = iter(["\r\n+CMS ERROR: 314\r\n", "\r\n+CME ERROR: 14\r\n", ok()])
    peer = script({"AT+CMGF=0": lambda _: next(answers)})
    modem_for(peer)
    assert peer.wire.count("AT+CMGF=0") == 3


def test_pin_error_during_a_command_says_pin_required(script: Any, modem_for: Any) -> None:
    peer = script()
    modem = modem_for(peer)
    peer.replies["AT+CSQ"] = "\r\n+CME ERROR: 11\r\n"
    with pytest.raises(PinRequiredError, match="SIM PIN"):
        modem.signal()


def test_registration_falls_back_to_eps(script: Any, modem_for: Any) -> None:
    peer = script(
        {
            "AT+CREG?": ok("+CREG: 0,0"),
            "AT+CEREG?": ok("+CEREG: 0,5"),
            "AT+COPS?": ok('+COPS: 0,0,"Roamer",7'),
        }
    )
    registration = modem_for(peer).registration()
    assert (registration.registered, registration.roaming, registration.operator) == (
        True,
        True,
        "Roamer",
    )


def test_send_answered_without_reference_is_a_protocol_error(script: Any, modem_for: Any) -> None:
    peer = script({"PDU": ok()})
    with pytest.raises(ATProtocolError):
        modem_for(peer).send_sms("+447700900123", "where is my reference")


def test_read_of_an_empty_slot_answered_with_bare_ok(script: Any, modem_for: Any) -> None:
    peer = script({"AT+CMGR=4": ok()})
    with pytest.raises(CmsError) as error:
        modem_for(peer).read_message(4)
    assert error.value.code == 321


def test_ussd_not_supported_by_the_network(script: Any, modem_for: Any) -> None:
    peer = script({'AT+CUSD=1,"*100#",15': "\r\nOK\r\n+CUSD: 4\r\n"})
    with pytest.raises(CommandError, match="USSD not supported"):
        modem_for(peer).ussd("*100#", timeout=2.0)
