"""The one thread that calls user code: URCs and driver events, in arrival order.

The reader thread only puts raw URCs on the queue; translating them (decoding PDUs) and
calling ``on_event`` happen here, so a slow or failing callback can never stall the port.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TypeVar, cast

from drivers.at import Unsolicited, final_result
from drivers.errors import PduError
from drivers.modem import events
from drivers.pdu import Deliver, StatusReport, decode

log = logging.getLogger(__name__)

_STOP = object()
# Vendor status noise: known, harmless, not worth an event.
_IGNORED = frozenset(
    {
        "^RSSI", "^HCSQ", "^BOOT", "^MODE", "^SRVST", "^SIMST", "^DSFLOWRPT", "^CRSSI",
        "^SYSSTART", "^NDISSTAT", "^RFSWITCH", "^STIN", "RDY", "SMS READY", "CALL READY",
        "+CPIN", "+QIND", "+QUSIM", "+CFUN", "+CREG", "+CGREG", "+CEREG", "+C5GREG",
        "+CIEV", "+CTZV", "+CTZE", "+CGEV", "+CSQN", "+PACSP", "+CUSATP", "+STIN", "+WIND",
        "+ZDONR", "+ZPASR", "+ZUSIMR", "+ZEND", "*PSUTTZ", "DST", "+CSMINS", "+SIMCARD",
        "^ORIG", "^CONF", "^CONN", "^CEND", "+CCWA", "+CBM",
    }
)  # fmt: skip


def translate(urc: Unsolicited) -> events.Event | None:
    """The driver event for a URC, or ``None`` for harmless noise."""
    fields = urc.fields
    if urc.kind in ("+CMTI", "+CDSI") and len(fields) >= 2 and fields[1].isdigit():
        kind = events.NewMessageStored if urc.kind == "+CMTI" else events.StatusReportStored
        return kind(fields[0], int(fields[1]))
    if urc.kind == "+CMT":
        raw = urc.payload or ""
        decoded, error = _decode(raw, Deliver)
        return events.IncomingPdu(raw, decoded, error)
    if urc.kind == "+CDS" and urc.payload is not None:
        report, error = _decode(urc.payload, StatusReport)
        return events.IncomingStatusReport(urc.payload, report, error)
    if urc.kind == "+CUSD":
        status = int(fields[0]) if fields and fields[0].isdigit() else None
        dcs = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else None
        return events.UssdReceived(status, fields[1] if len(fields) > 1 else "", dcs)
    if urc.kind in ("RING", "+CRING"):
        return events.Ring()
    if urc.kind == "+CLIP":
        return events.Ring(fields[0] if fields and fields[0] else None)
    if (urc.known and urc.kind in _IGNORED) or final_result(urc.line) is not None:
        log.debug("ignored unsolicited %r", urc.line)  # noise, or a late answer's result
        return None
    log.info("unknown unsolicited line %r", urc.line)
    return events.UnknownUnsolicited(urc.line)


_Message = TypeVar("_Message", Deliver, StatusReport)


def _decode(raw: str, wanted: type[_Message]) -> tuple[_Message | None, str | None]:
    if not raw:
        return None, "the PDU line is missing"
    try:
        message = decode(raw)
    except PduError as exc:
        return None, str(exc)
    if not isinstance(message, wanted):
        return None, f"expected {wanted.__name__}, got {type(message).__name__}"
    return message, None


class Dispatcher:
    """Owns the event queue and the thread that drains it into ``on_event``."""

    def __init__(self, on_event: Callable[[events.Event], None] | None, name: str) -> None:
        self._on_event = on_event
        self._name = name
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name=f"modem-events-{self._name}", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Deliver what is queued, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)
        if thread is not threading.current_thread():
            thread.join(timeout)

    def put(self, item: Unsolicited | events.Event) -> None:
        """Queue a raw URC or a driver event; never blocks, safe from any thread."""
        self._queue.put(item)

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            event = translate(item) if isinstance(item, Unsolicited) else item
            if event is None or self._on_event is None:
                continue
            try:
                self._on_event(cast(events.Event, event))
            except Exception:
                log.exception("on_event raised for %r", event)
