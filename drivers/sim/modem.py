"""One simulated modem: an AT interpreter wired to its links, timers, network and faults.

Every change to the interpreter happens under the modem's lock and is followed by a
pump that writes its output to the links and turns its effects into timers; calls
into the network (which touches other modems) happen outside the lock.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from enum import StrEnum
from pathlib import Path
from typing import Any

from drivers.errors import PduError
from drivers.pdu import Deliver, decode, encode_deliver
from drivers.sim.commands import BODIES, HANDLERS
from drivers.sim.commands.sms import deliver_sms, deliver_status_report
from drivers.sim.identity import Identity
from drivers.sim.interpreter import (
    Effect,
    Interpreter,
    Rebooting,
    SubmitAccepted,
    UssdRequested,
)
from drivers.sim.links import InProcessLink, Link, PtyLink
from drivers.sim.network import Network
from drivers.sim.scheduler import Scheduler
from drivers.sim.state import PinState, SimCard
from drivers.sim.vendors import Personality


class FaultKind(StrEnum):
    """Failures that can be switched on (DESIGN.md section 4), plus ``clear``."""

    UNPLUG = "unplug"
    REPLUG = "replug"
    HANG = "hang"
    CMS_ERROR = "cms_error"
    GARBAGE = "garbage"
    NO_NETWORK = "no_network"
    STORAGE_FULL = "storage_full"
    SIM_PIN = "sim_pin"
    SLOW = "slow"
    CLEAR = "clear"


#: How much longer everything takes under the "slow" fault.
SLOW_FACTOR = 10.0


class SimulatedModem:
    """A modem on a pseudo-terminal at :attr:`device`, attached to a shared network."""

    def __init__(
        self,
        modem_id: str,
        personality: Personality,
        identity: Identity,
        *,
        network: Network,
        scheduler: Scheduler,
        directory: Path,
        rng: random.Random,
        latency: float,
        jitter: float,
        boot_delay: float,
        noise_interval: float | None,
        signal: int = 20,
    ) -> None:
        self.id = modem_id
        self.personality = personality
        self.identity = identity
        self.device = str(directory / modem_id)
        self.latency = latency
        self.jitter = jitter
        self.boot_delay = boot_delay
        self.noise_interval = noise_interval
        self._network = network
        self._scheduler = scheduler
        self._rng = rng
        self._mirrored: float | None = None  # the next send's jitter: the last one's negated
        self._lock = threading.RLock()
        self.sim = SimCard.fresh(personality.first_index)
        self.interpreter = Interpreter(
            personality, identity, self.sim, HANDLERS, BODIES, signal=signal
        )
        self.interpreter.power_off()
        self._pty: PtyLink | None = None
        self._attached: list[InProcessLink] = []
        self._waiting: deque[tuple[bool, str]] = deque()
        self._slow = False
        self._generation = 0  # bumped on every power loss: stale timers see a new value
        self._plugs = 0  # bumped on every plug and unplug: stops the old noise timer

    # -- identity --------------------------------------------------------------------

    @property
    def vendor(self) -> str:
        return self.personality.name

    @property
    def number(self) -> str:
        return self.identity.number

    @property
    def imei(self) -> str:
        return self.identity.imei

    @property
    def imsi(self) -> str:
        return self.identity.imsi

    @property
    def iccid(self) -> str:
        return self.identity.iccid

    @property
    def operator(self) -> str:
        return self.identity.operator

    @property
    def signal(self) -> int:
        return self.interpreter.signal

    @property
    def plugged(self) -> bool:
        return self._pty is not None

    def describe(self) -> dict[str, Any]:
        """The JSON line ``cellgate simulate`` prints and GET /modems returns."""
        return {
            "id": self.id,
            "device": self.device,
            "number": self.number,
            "imei": self.imei,
            "vendor": self.vendor,
        }

    # -- lifecycle -------------------------------------------------------------------

    def plug(self) -> None:
        """Appear on the bus: the device path exists, the modem boots."""
        with self._lock:
            if self._pty is not None:
                return
            self._generation += 1
            self._plugs += 1
            self._pty = PtyLink(Path(self.device), self.feed)
            self.interpreter.faults.hang = False
            generation, plugs = self._generation, self._plugs
        boot_delay = self._scaled(self.boot_delay)
        if boot_delay:
            self._scheduler.call_later(boot_delay, lambda: self._boot(generation))
        else:
            self._boot(generation)
        if self.noise_interval:
            self._scheduler.call_later(self.noise_interval, lambda: self._noise(plugs))

    def unplug(self) -> None:
        """Vanish: the device path disappears and the pty closes under whoever has it open."""
        with self._lock:
            links: list[Link] = [*self._attached]
            if self._pty is not None:
                links.append(self._pty)
            self._pty = None
            self._attached.clear()
            self.interpreter.power_off()
            self._generation += 1
            self._plugs += 1
        for link in links:
            link.close()

    def attach(self) -> InProcessLink:
        """A new in-process connection (what ``sim://<id>`` opens)."""
        link = InProcessLink(self.feed)
        with self._lock:
            if self._pty is None:
                raise ConnectionError(f"simulated modem {self.id} is unplugged")
            self._attached.append(link)
        return link

    def detach(self, link: InProcessLink) -> None:
        with self._lock:
            if link in self._attached:
                self._attached.remove(link)
        link.close()

    def _boot(self, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self.interpreter.power_on()
            self._flush_waiting()
            self._pump()

    def _noise(self, plugs: int) -> None:
        if plugs != self._plugs or not self.noise_interval:
            return
        self.noise()
        self._scheduler.call_later(self.noise_interval, lambda: self._noise(plugs))

    # -- data ----------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Bytes the host wrote to the modem."""
        with self._lock:
            # A send's latency runs from here, as the network's would from the last byte
            # of the message, not from when the simulator had finished reading it.
            arrived = time.monotonic()
            self.interpreter.receive(data)
            self._pump(since=arrived)

    def _write(self, data: bytes) -> None:
        if not data or self.interpreter.faults.hang:
            return
        if self._pty is not None:
            self._pty.write(data)
        for link in self._attached:
            link.write(data)

    def _pump(self, *, since: float | None = None) -> None:
        """Write the interpreter's output and act on its effects, until it has nothing more.

        ``since``: when the host's bytes that caused them arrived (monotonic); input the
        modem held while busy is acted on now, so its latency runs from now.
        """
        while True:
            output = self.interpreter.take_output()
            effects = self.interpreter.take_effects()
            if not output and not effects:
                return
            self._write(output)
            for effect in effects:
                self._schedule(effect, since)

    def _schedule(self, effect: Effect, since: float | None) -> None:
        generation = self._generation
        if isinstance(effect, SubmitAccepted):
            delay = self._scaled(self.latency + self._jitter())
            self._scheduler.call_later(
                delay, lambda: self._submitted(effect, generation), since=since
            )
        elif isinstance(effect, UssdRequested):
            delay = self._scaled(self.latency / 2)
            self._scheduler.call_later(delay, lambda: self._ussd(effect.code, generation))
        elif isinstance(effect, Rebooting):
            self._generation += 1
            booting = self._generation
            self._scheduler.call_later(self._scaled(self.boot_delay), lambda: self._boot(booting))
        else:
            self._flush_waiting()

    def _jitter(self) -> float:
        """How much this send's latency is off ``latency``: drawn for one send, negated for
        the next, so that the sends of any run (not only a very long one) take
        ``latency`` on average. The dispatch benchmark's ideal assumes they do; with a
        fresh draw per send, 2,000 sends averaged up to 0.2 ms off a 50 ms latency."""
        if self._mirrored is not None:
            offset, self._mirrored = self._mirrored, None
            return offset
        offset = self._rng.uniform(-1, 1) * self.jitter
        self._mirrored = -offset
        return offset

    def _scaled(self, delay: float) -> float:
        return max(0.0, delay) * (SLOW_FACTOR if self._slow else 1.0)

    def _submitted(self, effect: SubmitAccepted, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self.interpreter.complete_submit()
            self._pump()
        self._network.submitted(self, effect.reference, effect.submit)

    def _ussd(self, code: str, generation: int) -> None:
        status, text = self._network.ussd(code)
        with self._lock:
            if generation != self._generation:
                return
            if self.interpreter.settings.cusd == 1:
                line = f'+CUSD: {status},"{text}",15' if text else f"+CUSD: {status}"
                self.interpreter.urc(line)
            self._pump()

    # -- the network side ----------------------------------------------------------------

    def receive_from_network(self, pdu: str, *, report: bool = False) -> None:
        """An SMS-DELIVER (or a status report) for this SIM; it waits while storage is full."""
        with self._lock:
            self._waiting.append((report, pdu))
            self._flush_waiting()
            self._pump()

    def _flush_waiting(self) -> None:
        while self._waiting:
            report, pdu = self._waiting[0]
            deliver = deliver_status_report if report else deliver_sms
            if not deliver(self.interpreter, pdu):
                return
            self._waiting.popleft()

    def inject_text(self, sender: str, text: str) -> None:
        """Deliver a text from ``sender`` as the network would (split into parts if long)."""
        for pdu in encode_deliver(sender, text, timestamp=self._network.now()):
            self.receive_from_network(pdu)

    def inject_pdu(self, pdu_hex: str) -> None:
        """Deliver a raw SMS-DELIVER PDU (hex, SMSC field included).

        A PDU that does not decode is delivered all the same: networks do deliver what a
        gateway's codec cannot read, and rehearsing that is what injection is for.
        """
        pdu = "".join(pdu_hex.split()).upper()
        try:
            bytes.fromhex(pdu)
        except ValueError:
            raise PduError("an inbound PDU is given in hexadecimal") from None
        try:
            decoded = decode(pdu)
        except PduError:
            decoded = None
        if decoded is not None and not isinstance(decoded, Deliver):
            raise PduError("an inbound PDU must be an SMS-DELIVER")
        self.receive_from_network(pdu)

    def noise(self) -> None:
        """Emit the vendor's periodic unsolicited lines now."""
        with self._lock:
            self.interpreter.noise()
            self._pump()

    # -- faults ----------------------------------------------------------------------------

    def fault(self, kind: str | FaultKind, **params: Any) -> None:
        """Switch a failure on (see :class:`FaultKind`); ``clear`` switches them all off."""
        kind = FaultKind(kind)
        if kind is FaultKind.UNPLUG:
            self.unplug()
        elif kind is FaultKind.REPLUG:
            self.unplug()
            self.plug()
        elif kind is FaultKind.CLEAR:
            self._clear()
        else:
            with self._lock:
                self._switch_on(kind, params)
                self._pump()

    def _switch_on(self, kind: FaultKind, params: dict[str, Any]) -> None:
        interpreter = self.interpreter
        if kind is FaultKind.HANG:
            interpreter.faults.hang = True
        elif kind is FaultKind.CMS_ERROR:
            interpreter.faults.cms_code = int(params.get("code", 500))
            interpreter.faults.cms_count = int(params.get("count", 1))
        elif kind is FaultKind.GARBAGE:
            size = int(params.get("count", 64))
            noise = bytes(self._rng.randrange(256) for _ in range(size))
            self._write(b"\xff\xfe" + noise + b"\r\n")
        elif kind is FaultKind.NO_NETWORK:
            interpreter.faults.no_network = True
            interpreter.registration_changed()
        elif kind is FaultKind.STORAGE_FULL:
            store = self.sim.stores[interpreter.settings.memories[2]]
            store.limit = store.used
        elif kind is FaultKind.SIM_PIN:
            self.sim.pin = str(params.get("pin", self.sim.pin))
            self.sim.pin_state = PinState.SIM_PIN
            self.sim.pin_attempts = 3
        elif kind is FaultKind.SLOW:
            self._slow = True

    def _clear(self) -> None:
        if not self.plugged:
            self.plug()
        with self._lock:
            faults = self.interpreter.faults
            was_offline = faults.no_network
            faults.hang = False
            faults.no_network = False
            faults.cms_count = 0
            self._slow = False
            self.sim.pin_state = PinState.READY
            for store in self.sim.stores.values():
                store.limit = None
            if was_offline:
                self.interpreter.registration_changed()
            self._flush_waiting()
            self._pump()

    def reset(self) -> None:
        """Back to a fresh SIM and modem, as after a power cycle with a new SIM card."""
        self.unplug()
        with self._lock:
            self.sim = SimCard.fresh(self.personality.first_index)
            self.interpreter.sim = self.sim
            self._waiting.clear()
            self.interpreter.faults.cms_count = 0
            self.interpreter.faults.no_network = False
            self.interpreter.next_reference = 1
            self._slow = False
        self.plug()
