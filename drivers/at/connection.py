"""A sans-I/O AT command engine: bytes in, events out, nothing blocks and nothing raises.

The engine only tracks what the host has asked for (``send``) and turns whatever the modem
sends back into :mod:`drivers.at.events`. Each parser state has its own line reader (the
``_readers`` table), so the same line means different things depending on what is pending:
``+CREG: 1`` answers ``AT+CREG?`` but is a URC at any other time, and ``+CMTI`` is a URC even
in the middle of another command's response.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from enum import Enum

from drivers.at.events import (
    NEED_DATA,
    Event,
    FinalResult,
    InfoLine,
    NeedData,
    Prompt,
    Unsolicited,
)
from drivers.at.lines import ALWAYS_URC, URC_KINDS, command_name, fields_of, final_result, kind_of


class State(Enum):
    """Where the engine is in the command cycle."""

    IDLE = "idle"  # nothing pending: every line is unsolicited
    AWAIT_FINAL = "await_final"  # a command is pending: lines are its response until a result
    AWAIT_PROMPT = "await_prompt"  # AT+CMGS=<n> sent: waiting for "> "
    AWAIT_PDU_LINE = "await_pdu_line"  # a +CMGR/+CMGL/+CMT/+CDS header wants its PDU line
    AWAIT_QUOTE_END = "await_quote_end"  # a +CUSD string spans several physical lines


CTRL_Z = b"\x1a"
ESC = b"\x1b"
# A line longer than this without a terminator is garbage; cut it so memory stays bounded.
MAX_LINE = 4096
# A quoted USSD answer longer than this many physical lines is cut off.
MAX_QUOTED_LINES = 64
_PROMPT_COMMANDS = frozenset({"+CMGS", "+CMGW", "+CMGC"})
_PDU_RESPONSES = frozenset({"+CMGR", "+CMGL"})
# Kinds that would open a header or a multi-line string of their own.
_NESTING_KINDS = _PDU_RESPONSES | {"+CMT", "+CDS", "+CUSD"}
_WRITE_FORM = re.compile(r"=\s*[0-9\"]")  # AT+CMGS=24, not AT+CMGS=?
_PDU_LIKE = re.compile(r"[^\s:]+")
_LINE_END = re.compile(rb"[\r\n]")
_CONTROL_CHARS = "\x00\x1a\x1b \t"


class ATConnection:
    """The AT protocol state machine of one modem port (h11 style).

    ``send``/``send_pdu``/``cancel`` return the bytes to write; ``receive_data`` takes what
    was read; ``next_event`` returns the next event or :data:`NEED_DATA`.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._events: deque[Event] = deque()
        self._state = State.IDLE
        self._resume = State.IDLE  # where AWAIT_PDU_LINE / AWAIT_QUOTE_END return to
        self._command = ""  # response prefix of the pending command, e.g. "+CSQ"
        self._echoes: set[str] = set()
        self._header: str | None = None  # header waiting for its PDU line
        self._quoted: list[str] = []
        self._readers: dict[State, Callable[[str], None]] = {
            State.IDLE: self._read_idle,
            State.AWAIT_FINAL: self._read_response,
            State.AWAIT_PROMPT: self._read_response,
            State.AWAIT_PDU_LINE: self._read_pdu_line,
            State.AWAIT_QUOTE_END: self._read_quoted,
        }

    @property
    def state(self) -> State:
        return self._state

    def send(self, command: str) -> bytes:
        """Start ``command`` (without CR); return the bytes to write.

        Sending while another command is pending abandons that one: the driver does this
        only after a timeout, when it resynchronises.
        """
        self._flush_header()
        command = command.strip()
        self._command = command_name(command)
        self._echoes = {command.upper()}
        wants_prompt = self._command in _PROMPT_COMMANDS and bool(_WRITE_FORM.search(command))
        self._state = State.AWAIT_PROMPT if wants_prompt else State.AWAIT_FINAL
        return command.encode("ascii") + b"\r"

    def send_pdu(self, pdu_hex: str) -> bytes:
        """After a :class:`Prompt`: the PDU and Ctrl-Z that complete ``AT+CMGS``."""
        self._echoes.add(pdu_hex.upper())
        self._state = State.AWAIT_FINAL
        return pdu_hex.encode("ascii") + CTRL_Z

    def cancel(self) -> bytes:
        """Abandon the pending command (ESC leaves the ``> `` prompt without sending)."""
        self._flush_header()
        self._state = State.IDLE
        self._command = ""
        self._echoes = set()
        return ESC

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the port, in chunks of any size."""
        self._buffer += data

    def next_event(self) -> Event | NeedData:
        """The next complete event, or :data:`NEED_DATA` until more bytes arrive."""
        while not self._events:
            line = self._next_line()
            if line is None:
                return NEED_DATA
            if line:
                self._readers[self._state](line)
        return self._events.popleft()

    def _next_line(self) -> str | None:
        """Cut the next line (or the prompt) off the buffer; ``None`` when incomplete."""
        if self._state is State.AWAIT_PROMPT:
            start = len(self._buffer) - len(self._buffer.lstrip(b"\r\n"))
            if self._buffer[start : start + 2] == b"> ":
                del self._buffer[: start + 2]
                self._events.append(Prompt())
                self._state = State.AWAIT_FINAL
                return ""
        match = _LINE_END.search(self._buffer)
        if match is not None:
            raw, cut = self._buffer[: match.start()], match.end()
        elif len(self._buffer) >= MAX_LINE:
            raw, cut = self._buffer[:MAX_LINE], MAX_LINE
        else:
            return None
        del self._buffer[:cut]
        return raw.decode("utf-8", errors="replace").strip(_CONTROL_CHARS)

    def _read_idle(self, line: str) -> None:
        if not self._opens_multiline(line) and not self._opens_urc_pdu(line):
            kind = kind_of(line)
            self._emit_urc(line, known=kind in URC_KINDS)

    def _read_response(self, line: str) -> None:
        if line.upper() in self._echoes:
            return
        result = final_result(line)
        if result is not None:
            self._finish(result)
            return
        if self._opens_multiline(line) or self._opens_urc_pdu(line):
            return
        kind = kind_of(line)
        if kind in ALWAYS_URC or (kind != self._command and kind in URC_KINDS):
            self._emit_urc(line)
        elif kind == self._command and kind in _PDU_RESPONSES:
            self._await_pdu(line)
        else:
            self._events.append(InfoLine(line))

    def _read_pdu_line(self, line: str) -> None:
        """Attach the PDU line to the waiting header.

        The PDU line is the next word-like line (no spaces, no colon; stray quotes
        tolerated), hex or not: a corrupt PDU must reach the driver to be reported, never
        be dropped. A result or another header means the PDU line is missing, so the
        header goes out without one. URCs and junk lines are read as if nothing waited.
        """
        kind = kind_of(line)
        if final_result(line) is not None or kind in _NESTING_KINDS:
            self._flush_header()
            self._readers[self._state](line)
        elif kind not in URC_KINDS and _PDU_LIKE.fullmatch(line.strip('" ')):
            self._complete_header(line.strip('" '))
        else:
            self._readers[self._resume](line)

    def _read_quoted(self, line: str) -> None:
        self._quoted.append(line)
        text = "\n".join(self._quoted)
        if text.count('"') % 2 == 0 or len(self._quoted) >= MAX_QUOTED_LINES:
            self._quoted = []
            self._state = self._resume
            self._emit_urc(text)

    def _opens_multiline(self, line: str) -> bool:
        if kind_of(line) != "+CUSD" or line.count('"') % 2 == 0:
            return False
        self._quoted = [line]
        self._resume, self._state = self._state, State.AWAIT_QUOTE_END
        return True

    def _opens_urc_pdu(self, line: str) -> bool:
        """``+CMT: ,<len>`` and ``+CDS: <len>`` announce a PDU on the next line."""
        kind = kind_of(line)
        fields = fields_of(line)
        if kind == "+CMT" or (kind == "+CDS" and len(fields) == 1 and fields[0].isdigit()):
            self._await_pdu(line)
            return True
        return False

    def _await_pdu(self, header: str) -> None:
        self._header = header
        self._resume, self._state = self._state, State.AWAIT_PDU_LINE

    def _complete_header(self, payload: str | None) -> None:
        header = self._header or ""
        self._header = None
        self._state = self._resume
        if kind_of(header) in _PDU_RESPONSES:
            self._events.append(InfoLine(header, payload))
        else:
            self._emit_urc(header, payload=payload)

    def _flush_header(self) -> None:
        """Emit whatever is half-read (a header without PDU, an unterminated USSD string)."""
        if self._state is State.AWAIT_PDU_LINE:
            self._complete_header(None)
        elif self._state is State.AWAIT_QUOTE_END:
            self._state = self._resume
            self._emit_urc("\n".join(self._quoted))
            self._quoted = []

    def _finish(self, result: FinalResult) -> None:
        self._events.append(result)
        self._state = State.IDLE
        self._command = ""
        self._echoes = set()

    def _emit_urc(self, line: str, *, payload: str | None = None, known: bool = True) -> None:
        self._events.append(Unsolicited(kind_of(line), fields_of(line), line, payload, known))
