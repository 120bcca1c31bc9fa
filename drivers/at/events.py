"""What the AT engine hands back: immutable events, one per meaningful thing on the wire.

Events are plain frozen dataclasses so the driver can queue them across threads and tests
can compare them with ``==``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class NeedData(Enum):
    """Sentinel type: the engine has no complete event until more bytes arrive."""

    NEED_DATA = "NEED_DATA"


NEED_DATA = NeedData.NEED_DATA


@dataclass(frozen=True)
class InfoLine:
    """A line of the pending command's response.

    ``pdu`` carries the line that follows a ``+CMGR:``/``+CMGL:`` header in PDU mode, so
    a header and its message can never be separated by a URC or a chunk boundary.
    """

    text: str
    pdu: str | None = None


@dataclass(frozen=True)
class FinalResult:
    """The line that ends a command: ``OK``, ``ERROR``, ``+CMS ERROR: 500``, ...

    ``kind`` is ``"OK"``, ``"ERROR"``, ``"CME"``, ``"CMS"`` or the verbatim result name
    (``"NO CARRIER"``, ``"COMMAND NOT SUPPORT"``...). ``code`` is the numeric error code
    when one is known (verbose ``+CMEE=2`` texts are mapped back to their number).
    """

    kind: str
    code: int | None = None
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "OK"


@dataclass(frozen=True)
class Prompt:
    """The modem's ``> `` invitation to type a PDU (it has no line end)."""


@dataclass(frozen=True)
class Unsolicited:
    """A line the modem sent on its own (URC), such as ``+CMTI: "SM",3`` or ``RING``.

    ``kind`` is the part before the colon (``"+CMTI"``, ``"^RSSI"``, ``"RING"``),
    ``fields`` the comma-separated values after it with quotes removed, ``line`` the whole
    line, and ``payload`` the PDU line that follows ``+CMT:``/``+CDS:`` headers.
    ``known`` says whether the kind is one the engine recognises as a URC.
    """

    kind: str
    fields: tuple[str, ...]
    line: str
    payload: str | None = None
    known: bool = True


Event = InfoLine | FinalResult | Prompt | Unsolicited
