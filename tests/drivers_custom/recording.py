"""A ``driver = "tests.drivers_custom.recording"`` plugin: a modem that takes every
message at once and remembers it, to prove that a configured driver module is loaded
and driven by the real worker."""

from __future__ import annotations

from collections.abc import Callable

from drivers.modem import Identity, SendResult, StoredMessage, events
from gateway.config import ModemSection

SENT: dict[str, list[tuple[str, str]]] = {}


class Driver:
    def __init__(self, section: ModemSection, *, on_event: Callable[[events.Event], None]) -> None:
        self.name = section.name
        self._on_event = on_event
        self._references = 0

    @property
    def healthy(self) -> bool:
        return True

    def open(self) -> None:
        SENT.setdefault(self.name, [])

    def close(self) -> None:
        return None

    def identity(self) -> Identity:
        return Identity("Recording", "R1", "1", "356938035643809", None, None, None)

    def send_sms(
        self, to: str, text: str, *, on_submitted: Callable[[], object] | None = None
    ) -> SendResult:
        self._references += 1
        SENT[self.name].append((to, text))
        if on_submitted is not None:
            on_submitted()
        return SendResult([self._references], 1, "gsm7")

    def read_message(self, index: int, storage: str | None = None) -> StoredMessage:
        raise LookupError(f"{self.name} stores nothing")

    def list_messages(self, stat: int = 4, storage: str | None = None) -> list[StoredMessage]:
        return []

    def delete_message(self, index: int, storage: str | None = None) -> None:
        return None

    def delete_read_messages(self, storage: str, index: int) -> None:
        return None
