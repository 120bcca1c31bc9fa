"""``sim://<modem-id>``: a pyserial port attached in-process to a running simulated modem.

The same driver code that opens ``/dev/ttyUSB2`` opens ``sim://sim0``; no pty is
involved, so it also works where pseudo-terminals are not available. The modem must
belong to a started :class:`drivers.sim.Simulator` in this process.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from serial import PortNotOpenError, SerialBase, SerialException

from drivers.sim import registry
from drivers.sim.links import InProcessLink
from drivers.sim.modem import SimulatedModem


class Serial(SerialBase):  # type: ignore[misc]
    """A serial port whose other end is a simulated modem."""

    is_open: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._link: InProcessLink | None = None
        self._modem: SimulatedModem | None = None
        super().__init__(*args, **kwargs)

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        parts = urllib.parse.urlsplit(self._port)
        modem_id = parts.netloc or parts.path.lstrip("/")
        if parts.scheme != "sim" or not modem_id:
            raise SerialException(f'expected "sim://<modem-id>", got {self._port!r}')
        try:
            self._modem = registry.lookup(modem_id)
            self._link = self._modem.attach()
        except (LookupError, ConnectionError) as exc:
            raise SerialException(str(exc)) from exc
        self.is_open = True

    def close(self) -> None:
        if self._modem is not None and self._link is not None:
            self._modem.detach(self._link)
        self._link = None
        self._modem = None
        self.is_open = False

    def _reconfigure_port(self) -> None:
        """Line settings mean nothing to an in-process modem."""

    def _connected(self) -> InProcessLink:
        if not self.is_open or self._link is None:
            raise PortNotOpenError()
        return self._link

    @property
    def in_waiting(self) -> int:
        return self._connected().waiting

    def read(self, size: int = 1) -> bytes:
        try:
            return self._connected().receive(size, self._timeout)
        except ConnectionError as exc:
            raise SerialException(f"device disconnected: {exc}") from exc

    def write(self, data: bytes) -> int:
        try:
            self._connected().send(bytes(data))
        except ConnectionError as exc:
            raise SerialException(f"device disconnected: {exc}") from exc
        return len(data)

    def reset_input_buffer(self) -> None:
        self._connected().discard()

    def reset_output_buffer(self) -> None:
        """Writes reach the modem at once; nothing is ever waiting to go out."""

    @property
    def out_waiting(self) -> int:
        return 0

    def _update_break_state(self) -> None:
        """No break condition on an in-process link."""

    def _update_rts_state(self) -> None:
        """No modem control lines on an in-process link."""

    def _update_dtr_state(self) -> None:
        """No modem control lines on an in-process link."""

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True
