"""The AT interpreter of one simulated modem: bytes in, bytes out, effects out.

It never blocks, sleeps or touches a file descriptor, so it can be driven byte by
byte in tests. Anything that takes time on real hardware (a send crossing the
network, a USSD answer, a reboot) becomes an :class:`Effect`; the host that runs
the interpreter decides when the outcome arrives and calls back in (for example
:meth:`Interpreter.complete_submit`). While such a command is in flight the modem
is busy: further input waits, as it does on hardware.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, auto

from drivers.pdu import Submit
from drivers.sim.atline import Command, LineSyntaxError, split_line
from drivers.sim.identity import Identity
from drivers.sim.result_codes import ERROR, OK, Final
from drivers.sim.state import Faults, Settings, SimCard
from drivers.sim.vendors import Personality

CTRL_Z = 0x1A
ESC = 0x1B
BACKSPACE = 0x08
# Prompt input that only goes into the body (and the echo): a PDU is all such bytes, and
# taking them a run at a time, not one call a byte, halved the simulator's CPU a send.
_BODY_RUN = re.compile(rb"[^\x08\x0a\x0d\x1a\x1b]+")


class Failure(Exception):
    """Raised by a command handler to end the command line with ``final``."""

    def __init__(self, final: Final) -> None:
        super().__init__(final)
        self.final = final


@dataclass(frozen=True)
class SubmitAccepted:
    """A message left for the network; call ``complete_submit`` when it got there."""

    reference: int
    pdu: str
    submit: Submit  # ``pdu`` decoded: the send handler checked it, the network reads it


@dataclass(frozen=True)
class UssdRequested:
    """A USSD string was dialled; call ``answer_ussd`` with the network's reply."""

    code: str


@dataclass(frozen=True)
class Rebooting:
    """The modem went down for a reset; call ``power_on`` when it is back."""


@dataclass(frozen=True)
class SlotsFreed:
    """Messages were deleted: the network may deliver what it was holding."""


Effect = SubmitAccepted | UssdRequested | Rebooting | SlotsFreed


@dataclass(frozen=True)
class PromptTarget:
    """What the text typed after ``> `` is for: AT+CMGS or AT+CMGW, PDU or text mode."""

    command: str
    length: int = 0
    address: str = ""
    stat: int = 2


class Mode(Enum):
    COMMAND = auto()
    PROMPT = auto()
    BUSY = auto()
    OFF = auto()


Handler = Callable[["Interpreter", Command], list[str]]
BodyHandler = Callable[["Interpreter", PromptTarget, str], list[str]]


class Interpreter:
    """One modem's command interpreter (V.250 line handling, 27.005/27.007 commands)."""

    def __init__(
        self,
        personality: Personality,
        identity: Identity,
        sim: SimCard,
        handlers: dict[str, Handler],
        bodies: dict[str, BodyHandler],
        *,
        signal: int = 20,
    ) -> None:
        self.personality = personality
        self.identity = identity
        self.sim = sim
        self.faults = Faults()
        self.settings = Settings.power_up(personality)
        self.signal = signal
        self.radio = 1
        self.next_reference = 1
        self.prompt: PromptTarget | None = None
        self._handlers = handlers
        self._bodies = bodies
        self._mode = Mode.COMMAND
        self._line = bytearray()
        self._body = bytearray()
        self._last_line = ""
        self._held_input = bytearray()
        self._held_urcs: list[bytes] = []
        self._busy_reply = ""
        self._out = bytearray()
        self._effects: list[Effect] = []

    # -- what the host collects after every call ---------------------------------

    def take_output(self) -> bytes:
        data = bytes(self._out)
        self._out.clear()
        return data

    def take_effects(self) -> list[Effect]:
        effects, self._effects = self._effects, []
        return effects

    def effect(self, effect: Effect) -> None:
        self._effects.append(effect)

    # -- input --------------------------------------------------------------------

    def receive(self, data: bytes) -> None:
        """Bytes from the host (the serial line)."""
        if self.faults.hang or self._mode is Mode.OFF:
            return
        position = 0
        while position < len(data):
            if not self.powered:
                return
            if self._mode is Mode.BUSY:
                self._held_input += data[position:]
                return
            if self._mode is not Mode.PROMPT:
                self._command_byte(data[position])
            elif run := _BODY_RUN.match(data, position):
                self._body += run.group()
                if self.settings.echo:
                    self._out += run.group()
                position = run.end()
                continue
            else:
                self._prompt_byte(data[position])
            position += 1

    def _command_byte(self, byte: int) -> None:
        if self.settings.echo:
            self._out.append(byte)
        if byte == 0x0D:
            line = self._line.decode("latin-1")
            self._line.clear()
            self._run_line(line)
        elif byte == BACKSPACE:
            del self._line[-1:]
        elif byte == 0x0A:
            return
        else:
            self._line.append(byte)
            if self._line.upper() == b"A/":
                self._line.clear()
                self._run_line(self._last_line)

    def _prompt_byte(self, byte: int) -> None:
        target = self.prompt
        assert target is not None
        if byte == ESC:
            self._body.clear()
            self.prompt = None
            self._finish(OK)
            return
        if self.settings.echo and byte != CTRL_Z:
            self._out.append(byte)
        if byte == CTRL_Z:
            body = self._body.decode("latin-1")
            self._body.clear()
            self.prompt = None
            self._mode = Mode.COMMAND
            self._run_body(target, body)
        elif byte == 0x0D and self.settings.cmgf == 1:
            self._body += b"\n"
            self._out += b"\r\n> "
        elif byte == BACKSPACE:
            del self._body[-1:]
        elif byte not in (0x0A, 0x0D):
            self._body.append(byte)

    # -- running a command line ---------------------------------------------------

    def _run_line(self, line: str) -> None:
        start = line.upper().find("AT")
        if start < 0:
            return
        self._last_line = line[start:]
        try:
            commands = split_line(line[start + 2 :])
        except LineSyntaxError:
            self._finish(ERROR)
            return
        lines: list[str] = []
        for command in commands:
            try:
                lines += self._dispatch(command)
            except Failure as failure:
                self._emit_lines(lines)
                self._finish(failure.final)
                return
            if self.prompt is not None:
                self._emit_lines(lines)
                self._mode = Mode.PROMPT
                self._out += b"\r\n> " if self.settings.verbose else b"> "
                return
        self._emit_lines(lines)
        self._finish(OK)

    def _dispatch(self, command: Command) -> list[str]:
        handler = self._handlers.get(command.name)
        if handler is None:
            if command.name in self.personality.vendor_switches:
                return []
            raise Failure(Final(self.personality.unknown_command))
        return handler(self, command)

    def _run_body(self, target: PromptTarget, body: str) -> None:
        try:
            lines = self._bodies[target.command](self, target, body)
        except Failure as failure:
            self._finish(failure.final)
            return
        if self._mode is Mode.BUSY:
            return
        self._emit_lines(lines)
        self._finish(OK)

    def begin_submit(self, reference_reply: str, pdu: str, submit: Submit) -> None:
        """Called by the send handlers: go busy until the network accepts the message."""
        reference = self.next_reference
        self.next_reference = (reference + 1) % 256
        self._busy_reply = f"{reference_reply}: {reference}"
        self._mode = Mode.BUSY
        self.effect(SubmitAccepted(reference, pdu, submit))

    def complete_submit(self, error: Final | None = None) -> None:
        """The network accepted (or, with ``error``, refused) the message in flight."""
        if self._mode is not Mode.BUSY:
            return
        self._mode = Mode.COMMAND
        if error is None:
            self._emit_lines([self._busy_reply])
            self._finish(OK)
        else:
            self._finish(error)
        held = bytes(self._held_input)
        self._held_input.clear()
        self.receive(held)

    def _finish(self, final: Final) -> None:
        if self._mode is Mode.PROMPT:
            self._mode = Mode.COMMAND
        self._out += final.render(verbose=self.settings.verbose, cmee=self.settings.cmee)
        if self._mode is Mode.COMMAND:
            for urc in self._held_urcs:
                self._out += urc
            self._held_urcs.clear()

    def _emit_lines(self, lines: list[str]) -> None:
        if not lines:
            return
        text = "\r\n".join(lines) + "\r\n"
        self._out += (("\r\n" + text) if self.settings.verbose else text).encode("latin-1")

    # -- unsolicited output -------------------------------------------------------

    def urc(self, *lines: str) -> None:
        """Print unsolicited lines now, or after the command in progress."""
        if self._mode is Mode.OFF or self.faults.hang:
            return
        text = "\r\n".join(lines) + "\r\n"
        data = (("\r\n" + text) if self.settings.verbose else text).encode("latin-1")
        if self._mode in (Mode.PROMPT, Mode.BUSY):
            self._held_urcs.append(data)
        else:
            self._out += data

    # -- power ----------------------------------------------------------------------

    @property
    def powered(self) -> bool:
        return self._mode is not Mode.OFF

    def power_off(self) -> None:
        self._mode = Mode.OFF
        self.prompt = None
        self._line.clear()
        self._body.clear()
        self._held_input.clear()
        self._held_urcs.clear()

    def reboot(self) -> None:
        """AT+CFUN=1,1: the OK goes out, then the modem drops off until ``power_on``."""
        self.power_off()
        self.effect(Rebooting())

    def power_on(self) -> None:
        """Boot: settings back to power-up defaults, then the vendor's boot noise."""
        self._mode = Mode.COMMAND
        self.settings = Settings.power_up(self.personality)
        self.radio = 1
        self.faults.hang = False
        lines = [self._boot_line(line) for line in self.personality.boot]
        if lines:
            self.urc(*lines)

    def _boot_line(self, line: str) -> str:
        if line.startswith("+CPIN:"):
            return f"+CPIN: {self.sim.pin_state}"
        return line.format(rssi=self.rssi)

    # -- network facts ----------------------------------------------------------------

    @property
    def registered(self) -> bool:
        return self.radio == 1 and not self.faults.no_network

    @property
    def rssi(self) -> int:
        return self.signal if self.registered else 99

    @property
    def registration_stat(self) -> int:
        """<stat> of +CREG: 1 registered, 2 searching (no network), 0 radio off."""
        if self.registered:
            return 1
        return 2 if self.radio == 1 else 0

    def registration_fields(self, name: str, n: int) -> str:
        """The fields after ``+CREG: [<n>,]`` for report level ``n``."""
        stat = self.registration_stat
        if n == 2 and self.registered:
            cell = '"00C3"' if name == "+CREG" else '"0001A2C3"'
            return f'{stat},"1A2B",{cell}'
        return str(stat)

    def registration_changed(self) -> None:
        """Announce the new registration state to every +CxREG that asked for it."""
        for name, n in self.settings.registration_urcs.items():
            if n:
                self.urc(f"{name}: {self.registration_fields(name, n)}")

    def noise(self) -> None:
        """The vendor's periodic unsolicited lines (Huawei ^RSSI and friends)."""
        if self.personality.noise and self.settings.unsolicited_noise:
            self.urc(*(line.format(rssi=self.rssi) for line in self.personality.noise))
