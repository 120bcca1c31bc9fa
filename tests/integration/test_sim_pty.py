"""Simulated modems seen through their real pseudo-terminals with plain pyserial."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator

import pytest
import serial

from drivers.pdu import Deliver, StatusReport, decode, encode_submit
from drivers.sim import Simulator

SimulatorFactory = Callable[..., Simulator]

FINAL = re.compile(rb"\r\n(OK|ERROR|\+CM[ES] ERROR: [^\r]*|COMMAND NOT SUPPORT)\r\n$")


def read_until(port: serial.Serial, pattern: re.Pattern[bytes], timeout: float = 3.0) -> bytes:
    """Read until ``pattern`` matches what arrived, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    data = b""
    while not pattern.search(data):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; got {data!r}")
        data += port.read(port.in_waiting or 1)
    return data


def command(port: serial.Serial, line: str, timeout: float = 3.0) -> bytes:
    port.write(line.encode() + b"\r")
    return read_until(port, FINAL, timeout)


Opener = Callable[[str], serial.Serial]


@pytest.fixture
def open_port() -> Iterator[Opener]:
    ports: list[serial.Serial] = []

    def opener(device: str) -> serial.Serial:
        port = serial.Serial(device, timeout=0.2)
        ports.append(port)
        command(port, "ATE0")
        return port

    yield opener
    for port in ports:
        port.close()


def test_device_is_a_symlink_to_a_pty(simulator: SimulatorFactory) -> None:
    sim = simulator(modems=2)
    for modem in sim.modems:
        assert os.readlink(modem.device).startswith("/dev/pts/")
    assert sim.modems[0].device != sim.modems[1].device


def test_identity_over_the_wire(simulator: SimulatorFactory, open_port: Opener) -> None:
    sim = simulator()
    port = open_port(sim.modems[0].device)
    assert command(port, "AT+CGSN") == f"\r\n{sim.modems[0].imei}\r\n\r\nOK\r\n".encode()
    assert command(port, "AT+CIMI") == f"\r\n{sim.modems[0].imsi}\r\n\r\nOK\r\n".encode()


def test_text_from_modem_a_arrives_at_modem_b(
    simulator: SimulatorFactory, open_port: Opener
) -> None:
    sim = simulator(modems=2)
    a, b = sim.modems
    port_a, port_b = open_port(a.device), open_port(b.device)
    command(port_b, "AT+CNMI=2,1,0,0,0")
    part = encode_submit(b.number, "Hello B", request_status_report=False)[0]
    port_a.write(f"AT+CMGS={part.tpdu_length}\r".encode())
    read_until(port_a, re.compile(rb"> $"))
    port_a.write(part.pdu.encode() + b"\x1a")
    assert read_until(port_a, FINAL) == b"\r\n+CMGS: 1\r\n\r\nOK\r\n"
    notice = read_until(port_b, re.compile(rb'\+CMTI: "SM",(\d+)\r\n'))
    index = re.search(rb"\+CMTI: \"SM\",(\d+)", notice)
    assert index is not None
    answer = command(port_b, f"AT+CMGR={int(index.group(1))}")
    pdu = answer.split(b"\r\n")[2].decode()
    message = decode(pdu)
    assert isinstance(message, Deliver)
    assert (message.sender.number, message.text) == (a.number, "Hello B")
    [sent] = sim.wait_sent(1, timeout=3)
    assert (sent.modem, sent.to, sent.text, sent.parts) == ("sim0", b.number, "Hello B", 1)


def test_status_report_arrives_as_cds(simulator: SimulatorFactory, open_port: Opener) -> None:
    sim = simulator(status_report_delay=0.0)
    port = open_port(sim.modems[0].device)
    command(port, "AT+CNMI=2,1,0,1,0")
    part = encode_submit("+447700900123", "report me", request_status_report=True)[0]
    port.write(f"AT+CMGS={part.tpdu_length}\r".encode())
    read_until(port, re.compile(rb"> $"))
    port.write(part.pdu.encode() + b"\x1a")
    data = read_until(port, re.compile(rb"\+CDS: \d+\r\n[0-9A-F]+\r\n"))
    pdu = re.search(rb"\+CDS: \d+\r\n([0-9A-F]+)\r\n", data)
    assert pdu is not None
    report = decode(pdu.group(1).decode())
    assert isinstance(report, StatusReport)
    assert (report.message_reference, report.delivered) == (1, True)
    assert report.recipient.number == "+447700900123"
