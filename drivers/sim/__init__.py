"""Simulated GSM modems: real AT commands over pseudo-terminals, on a simulated network.

Importing this package registers the ``sim://<modem-id>`` pyserial URL handler.
"""

from __future__ import annotations

import serial

from drivers.sim.modem import FaultKind, SimulatedModem
from drivers.sim.network import SentMessage
from drivers.sim.simulator import Simulator
from drivers.sim.vendors import VENDORS, Personality

if "drivers.urlhandler" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("drivers.urlhandler")

__all__ = ["VENDORS", "FaultKind", "Personality", "SentMessage", "SimulatedModem", "Simulator"]
