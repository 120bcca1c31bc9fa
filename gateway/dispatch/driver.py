"""Modem drivers as plugins chosen by name in the configuration.

``driver = "serial"`` is :class:`drivers.modem.Modem` on the configured port; any other
value is a module path whose class ``Driver`` is built as ``Driver(section, on_event=...)``.
A modem that is not on a serial line (a vendor's network API, say) is such a plugin;
tests/drivers_custom/ holds the one the tests load.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from drivers.modem import Identity, NextMessage, Outgoing, SendResult, StoredMessage, events
from drivers.modem import Modem as SerialModem
from gateway.config import ModemSection
from gateway.errors import GatewayError

EventCallback = Callable[[events.Event], None]


class ModemDriver(Protocol):
    """What a worker needs from the modem it owns."""

    @property
    def healthy(self) -> bool: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def identity(self) -> Identity: ...

    def send_sms(
        self, to: str, text: str, *, on_submitted: Callable[[], object] | None = None
    ) -> SendResult:
        """Send; call ``on_submitted`` (on any thread; it returns at once) when the modem
        has the message and only the network's answer is awaited: the worker's database
        work for the next message starts then, so it does not slow the exchange with the
        modem. A driver that cannot tell may leave it uncalled."""
        ...

    def read_message(self, index: int, storage: str | None = None) -> StoredMessage: ...

    def list_messages(self, stat: int = 4, storage: str | None = None) -> list[StoredMessage]: ...

    def delete_message(self, index: int, storage: str | None = None) -> None: ...

    def delete_read_messages(self, storage: str, index: int) -> None:
        """Delete every message read from ``storage`` in one command, keeping unread
        ones; raise CommandError where the modem cannot (it is then asked per message).
        A plugin without this method has its reports deleted one at a time."""
        ...


@runtime_checkable
class FollowingDriver(ModemDriver, Protocol):
    """A driver that can start the next message at a send's OK (the serial one can):
    a worker sending back to back then loses no time between sends. See
    :meth:`drivers.modem.Modem.send_sms`."""

    @property
    def following(self) -> bool: ...

    def send_sms(
        self,
        to: str,
        text: str,
        *,
        on_submitted: Callable[[], object] | None = None,
        then: NextMessage | None = None,
    ) -> SendResult: ...

    def prepare(self, to: str, text: str) -> Outgoing: ...

    def follow_on(
        self,
        *,
        on_submitted: Callable[[], object] | None = None,
        then: NextMessage | None = None,
    ) -> SendResult: ...


def load_driver(section: ModemSection, on_event: EventCallback) -> ModemDriver:
    if section.driver == "serial":
        return SerialModem(
            section.port,
            pin=section.pin or None,
            baudrate=section.baudrate,
            name=section.name,
            on_event=on_event,
        )
    try:
        module = importlib.import_module(section.driver)
        factory = module.Driver
    except (ImportError, AttributeError) as exc:
        raise GatewayError(
            f"modem {section.name}: driver {section.driver!r} cannot be loaded: {exc}"
        ) from None
    driver: ModemDriver = factory(section, on_event=on_event)
    return driver
