"""Value objects the modem driver returns: plain frozen dataclasses, safe to share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drivers.pdu import Deliver, StatusReport, Submit, SubmitPart


@dataclass(frozen=True)
class Identity:
    """Who the modem and its SIM are; ``None`` where the modem would not say."""

    manufacturer: str | None
    model: str | None
    revision: str | None
    imei: str | None
    imsi: str | None
    iccid: str | None
    number: str | None


@dataclass(frozen=True)
class Signal:
    """Signal quality from ``AT+CSQ``: raw values, dBm (``None`` when unknown) and 0-5 bars."""

    rssi: int
    ber: int
    dbm: int | None
    bars: int


@dataclass(frozen=True)
class Registration:
    """Network registration (``+CREG``/``+CEREG`` stat) and the operator from ``+COPS``."""

    status: int
    registered: bool
    roaming: bool
    operator: str | None
    technology: str | None


@dataclass(frozen=True)
class SendResult:
    """What ``AT+CMGS`` gave back: one message reference per part, in part order."""

    references: list[int]
    parts: int
    encoding: str


@dataclass(frozen=True)
class Outgoing:
    """A message encoded ahead (:meth:`Modem.prepare`), for ``then`` of
    :meth:`Modem.send_sms` to name: encoding it at the OK would hold the next send up."""

    parts: tuple[SubmitPart, ...]


# Asked at a send's OK, on the port's reader thread, for the message to start at once
# (see Modem.send_sms); returns at once, without using the modem.
NextMessage = Callable[[], Outgoing | None]


@dataclass(frozen=True)
class StoredMessage:
    """A message in the modem's storage.

    An undecodable PDU is still returned, with ``decoded=None`` and the reason in
    ``error``: a message is never lost because the codec could not read it.
    """

    index: int
    stat: int | None
    pdu: str
    decoded: Deliver | Submit | StatusReport | None
    error: str | None
    storage: str = "SM"


@dataclass(frozen=True)
class Storage:
    """Message storage use (``AT+CPMS?``): the read storage first, as the modem reports it."""

    used: int
    total: int
    name: str | None = None
    receive_used: int | None = None
    receive_total: int | None = None
