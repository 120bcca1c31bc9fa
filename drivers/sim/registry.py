"""The running simulated modems of this process, by id, for the ``sim://`` URL handler."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drivers.sim.modem import SimulatedModem

_lock = threading.Lock()
_modems: dict[str, SimulatedModem] = {}


def register(modem: SimulatedModem) -> None:
    with _lock:
        _modems[modem.id] = modem


def unregister(modem: SimulatedModem) -> None:
    with _lock:
        if _modems.get(modem.id) is modem:
            del _modems[modem.id]


def lookup(modem_id: str) -> SimulatedModem:
    with _lock:
        modem = _modems.get(modem_id)
    if modem is None:
        raise LookupError(f"no running simulated modem {modem_id!r}")
    return modem
