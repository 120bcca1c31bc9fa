"""A mature third-party modem library, written for real hardware, works against the simulator.

python-gsmmodem-new is used only here, as an independent judge of the simulator's
AT dialect: it connects to a simulated pty, reads the identity, sends and receives.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from drivers.sim import Simulator

SimulatorFactory = Callable[..., Simulator]
# The library handles each notification (+CMTI, +CDSI) in a thread of its own that may
# still use the port after close() (a TypeError in that thread): its defect, not the
# simulator's. The tests wait for those threads, so the error stays in the test that
# caused it, where it is ignored, instead of surfacing in whatever test runs next.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def close(client: Any) -> None:
    client.close()
    for thread in threading.enumerate():
        if "threadedHandleModemNotification" in thread.name:
            thread.join(timeout=30)


with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the library's regexes carry invalid escapes
    gsmmodem_modem = pytest.importorskip("gsmmodem.modem")


@pytest.mark.parametrize("vendor", ["generic", "sim800", "huawei", "quectel"])
def test_gsmmodem_reads_identity_and_sends(simulator: SimulatorFactory, vendor: str) -> None:
    # No status report while the library is connected: it would handle the +CDSI in a
    # thread of its own that outlives close().
    sim = simulator(modems=2, vendor=vendor, status_report_delay=600)
    modem = sim.modems[0]
    client = gsmmodem_modem.GsmModem(modem.device, 115200)
    client.connect()
    try:
        assert client.imei == modem.imei
        assert client.imsi == modem.imsi
        assert client.manufacturer == modem.personality.manufacturer
        assert client.networkName == modem.operator
        assert client.signalStrength == modem.signal
        client.sendSms(sim.modems[1].number, "Hello from gsmmodem")
    finally:
        close(client)
    [sent] = sim.wait_sent(1, timeout=5)
    assert (sent.modem, sent.to, sent.text) == ("sim0", sim.modems[1].number, "Hello from gsmmodem")


def test_gsmmodem_receives_an_injected_text(simulator: SimulatorFactory) -> None:
    sim = simulator()
    received: list[Any] = []
    arrived = threading.Event()

    def on_sms(sms: Any) -> None:
        received.append(sms)
        arrived.set()

    client = gsmmodem_modem.GsmModem(sim.modems[0].device, 115200, smsReceivedCallbackFunc=on_sms)
    client.connect()
    try:
        sim.modems[0].inject_text("+447700900123", "Inbound via the network")
        assert arrived.wait(timeout=5)
    finally:
        close(client)
    assert (received[0].number, received[0].text) == ("+447700900123", "Inbound via the network")
