"""Events the modem driver hands to ``on_event`` (always from its one dispatcher thread)."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.pdu import Deliver, StatusReport


@dataclass(frozen=True)
class NewMessageStored:
    """``+CMTI``: an SMS was stored; read it, commit it, then delete it."""

    storage: str
    index: int


@dataclass(frozen=True)
class IncomingPdu:
    """``+CMT``: an SMS delivered straight to us (not stored). ``decoded`` is ``None`` when
    the PDU could not be decoded; ``error`` then says why."""

    raw_hex: str
    decoded: Deliver | None
    error: str | None


@dataclass(frozen=True)
class StatusReportStored:
    """``+CDSI``: a delivery report was stored (usually in ``"SR"``)."""

    storage: str
    index: int


@dataclass(frozen=True)
class IncomingStatusReport:
    """``+CDS``: a delivery report delivered straight to us."""

    raw_hex: str
    decoded: StatusReport | None
    error: str | None


@dataclass(frozen=True)
class UssdReceived:
    """A ``+CUSD`` nobody was waiting for (network-initiated, or a late second answer)."""

    status: int | None
    text: str
    dcs: int | None


@dataclass(frozen=True)
class Ring:
    """An incoming call (``RING``/``+CRING``, or ``+CLIP`` with the caller's number)."""

    caller: str | None = None


@dataclass(frozen=True)
class ModemLost:
    """The port vanished or the modem stopped answering; the driver is recovering."""

    reason: str


@dataclass(frozen=True)
class ModemRecovered:
    """The modem answers again and has been re-initialised."""


@dataclass(frozen=True)
class UnknownUnsolicited:
    """A line the modem sent on its own that the driver does not know (logged, ignored)."""

    line: str


Event = (
    NewMessageStored
    | IncomingPdu
    | StatusReportStored
    | IncomingStatusReport
    | UssdReceived
    | Ring
    | ModemLost
    | ModemRecovered
    | UnknownUnsolicited
)
