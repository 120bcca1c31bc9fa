"""``sim://<modem-id>``: the pyserial URL handler attaches in-process to a running modem."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import serial

from drivers.sim import Simulator
from tests.integration.test_sim_pty import FINAL, read_until

SimulatorFactory = Callable[..., Simulator]


def test_sim_url_talks_to_the_modem(simulator: SimulatorFactory) -> None:
    sim = simulator(vendor="quectel")
    port = serial.serial_for_url("sim://sim0", timeout=0.1)
    try:
        port.write(b"AT+QCCID\r")
        answer = read_until(port, FINAL)
        assert answer == f"AT+QCCID\r\r\n+QCCID: {sim.modems[0].iccid}\r\n\r\nOK\r\n".encode()
        sim.modems[0].inject_text("+447700900123", "in process")
        assert read_until(port, re.compile(rb"\+CMTI: .*\r\n")) == b'\r\n+CMTI: "SM",1\r\n'
    finally:
        port.close()


def test_sim_url_reports_unplug_as_a_serial_error(simulator: SimulatorFactory) -> None:
    sim = simulator()
    port = serial.serial_for_url("sim://sim0", timeout=0.1)
    sim.modems[0].fault("unplug")
    with pytest.raises(serial.SerialException):
        port.read(1)
    port.close()


def test_unknown_sim_url_fails_to_open(simulator: SimulatorFactory) -> None:
    simulator()
    with pytest.raises(serial.SerialException, match="sim7"):
        serial.serial_for_url("sim://sim7")
