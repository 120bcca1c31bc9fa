"""Sans-I/O AT command engine: the modem protocol without serial ports, threads or clocks."""

from drivers.at.connection import CTRL_Z, ESC, ATConnection, State
from drivers.at.events import (
    NEED_DATA,
    Event,
    FinalResult,
    InfoLine,
    NeedData,
    Prompt,
    Unsolicited,
)
from drivers.at.lines import fields_of, final_result, kind_of

__all__ = [
    "CTRL_Z",
    "ESC",
    "NEED_DATA",
    "ATConnection",
    "Event",
    "FinalResult",
    "InfoLine",
    "NeedData",
    "Prompt",
    "State",
    "Unsolicited",
    "fields_of",
    "final_result",
    "kind_of",
]
