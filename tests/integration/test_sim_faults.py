"""Every fault of the simulator, observed through a real pty with plain pyserial."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator

import pytest
import serial

from drivers.pdu import StatusReport, decode, encode_submit
from drivers.sim import Simulator
from tests.integration.test_sim_pty import FINAL, command, read_until

SimulatorFactory = Callable[..., Simulator]

PROMPT = re.compile(rb"> $")


@pytest.fixture
def port_of() -> Iterator[Callable[[str], serial.Serial]]:
    ports: list[serial.Serial] = []

    def opener(device: str) -> serial.Serial:
        port = serial.Serial(device, timeout=0.1)
        ports.append(port)
        command(port, "ATE0;+CMEE=1")
        return port

    yield opener
    for port in ports:
        port.close()


def send(port: serial.Serial, to: str, text: str, *, report: bool = False) -> bytes:
    parts = encode_submit(to, text, request_status_report=report)
    answers = b""
    for part in parts:
        port.write(f"AT+CMGS={part.tpdu_length}\r".encode())
        read_until(port, PROMPT)
        port.write(part.pdu.encode() + b"\x1a")
        answers += read_until(port, FINAL)
    return answers


def test_unplug_removes_the_device_and_replug_brings_it_back(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator()
    modem = sim.modems[0]
    port = port_of(modem.device)
    modem.fault("unplug")
    assert not os.path.lexists(modem.device)
    with pytest.raises(serial.SerialException):
        port.read(1)
    modem.fault("replug")
    assert os.path.exists(modem.device)
    again = port_of(modem.device)
    assert command(again, "AT") == b"\r\nOK\r\n"


def test_hang_stops_answers_until_cleared(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator()
    port = port_of(sim.modems[0].device)
    sim.modems[0].fault("hang")
    port.write(b"AT\r")
    assert port.read(64) == b""
    sim.modems[0].fault("clear")
    assert command(port, "AT") == b"\r\nOK\r\n"


def test_cms_error_fails_the_next_sends(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator()
    port = port_of(sim.modems[0].device)
    sim.modems[0].fault("cms_error", code=500, count=2)
    assert send(port, "+447700900123", "one") == b"\r\n+CMS ERROR: 500\r\n"
    assert send(port, "+447700900123", "two") == b"\r\n+CMS ERROR: 500\r\n"
    assert send(port, "+447700900123", "three") == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
    assert [message.text for message in sim.wait_sent(1, timeout=3)] == ["three"]


def test_garbage_puts_undecodable_bytes_on_the_line(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator()
    port = port_of(sim.modems[0].device)
    sim.modems[0].fault("garbage", count=32)
    noise = read_until(port, re.compile(rb"\r\n$"))
    with pytest.raises(UnicodeDecodeError):
        noise.decode("utf-8")
    assert command(port, "AT") == b"\r\nOK\r\n"


def test_no_network_deregisters_and_fails_sends_with_331(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator()
    port = port_of(sim.modems[0].device)
    command(port, "AT+CREG=1")
    sim.modems[0].fault("no_network")
    assert read_until(port, re.compile(rb"\+CREG: 2\r\n")) == b"\r\n+CREG: 2\r\n"
    assert send(port, "+447700900123", "lost") == b"\r\n+CMS ERROR: 331\r\n"
    sim.modems[0].fault("clear")
    assert read_until(port, re.compile(rb"\+CREG: 1\r\n")) == b"\r\n+CREG: 1\r\n"


def test_storage_full_holds_inbound_until_a_slot_frees(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator()
    modem = sim.modems[0]
    port = port_of(modem.device)
    modem.inject_text("+447700900123", "first")
    assert read_until(port, re.compile(rb"\+CMTI: .*\r\n")) == b'\r\n+CMTI: "SM",1\r\n'
    modem.fault("storage_full")
    modem.inject_text("+447700900123", "second")
    assert command(port, "AT+CPMS?") == b'\r\n+CPMS: "SM",1,1,"SM",1,1,"SM",1,1\r\n\r\nOK\r\n'
    port.write(b"AT+CMGD=1\r")
    answer = read_until(port, re.compile(rb'\+CMTI: "SM",1\r\n'))
    assert answer == b'\r\nOK\r\n\r\n+CMTI: "SM",1\r\n'


def test_sim_pin_locks_until_the_pin_is_entered(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator()
    port = port_of(sim.modems[0].device)
    sim.modems[0].fault("sim_pin", pin="4321")
    assert command(port, "AT+CPIN?") == b"\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"
    assert command(port, "AT+CMGL=4") == b"\r\n+CMS ERROR: 311\r\n"
    assert command(port, 'AT+CPIN="4321"') == b"\r\nOK\r\n"
    assert command(port, "AT+CPIN?") == b"\r\n+CPIN: READY\r\n\r\nOK\r\n"


def test_slow_multiplies_the_send_latency(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator(latency=0.1, jitter=0.0)
    port = port_of(sim.modems[0].device)
    sim.modems[0].fault("slow")
    part = encode_submit("+447700900123", "slowly")[0]
    port.write(f"AT+CMGS={part.tpdu_length}\r".encode())
    read_until(port, PROMPT)
    port.write(part.pdu.encode() + b"\x1a")
    assert port.read(64) == b""  # a tenth of the slowed latency: nothing yet
    assert read_until(port, FINAL) == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"


def test_failed_status_report_stored_and_announced_as_cdsi(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator(delivered_ratio=0.0, status_report_delay=0.0)
    port = port_of(sim.modems[0].device)
    command(port, "AT+CNMI=2,1,0,2,0")
    part = encode_submit("+447700900123", "doomed", request_status_report=True)[0]
    port.write(f"AT+CMGS={part.tpdu_length}\r".encode())
    read_until(port, PROMPT)
    port.write(part.pdu.encode() + b"\x1a")
    answer = read_until(port, re.compile(rb"\+CDSI: .*\r\n"))
    assert answer == b'\r\n+CMGS: 1\r\n\r\nOK\r\n\r\n+CDSI: "SR",1\r\n'
    command(port, 'AT+CPMS="SR"')
    answer = command(port, "AT+CMGR=1")
    report = decode(answer.split(b"\r\n")[2].decode())
    assert isinstance(report, StatusReport)
    assert report.message_reference == 1
    assert not report.delivered


def test_multipart_text_arrives_in_parts_and_is_recorded_joined(
    simulator: SimulatorFactory, port_of: Callable[[str], serial.Serial]
) -> None:
    sim = simulator(modems=2)
    a, b = sim.modems
    port_a, port_b = port_of(a.device), port_of(b.device)
    text = "Long message " * 20
    assert send(port_a, b.number, text).count(b"+CMGS:") == 2
    [sent] = sim.wait_sent(1, timeout=3)
    assert (sent.text, sent.parts, sent.references) == (text, 2, (1, 2))
    read_until(port_b, re.compile(rb'\+CMTI: "SM",2\r\n'))
    assert command(port_b, "AT+CPMS?").startswith(b'\r\n+CPMS: "SM",2,30')
