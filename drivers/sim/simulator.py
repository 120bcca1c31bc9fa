"""A set of simulated modems on one simulated network: what tests and `cellgate simulate` run."""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from drivers.sim import registry
from drivers.sim.control import ControlServer
from drivers.sim.identity import make_identity
from drivers.sim.modem import SimulatedModem
from drivers.sim.network import Clock, Network, SentMessage
from drivers.sim.scheduler import Scheduler
from drivers.sim.vendors import VENDORS

#: A real modem needs 2.5-6 s per part from Ctrl-Z to +CMGS (DESIGN.md section 8).
DEFAULT_LATENCY = 3.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Simulator:
    """N simulated modems, each on its own pseudo-terminal, sharing one network.

    ``latency`` is the time per sent part, give or take ``jitter`` (a third of it by
    default; drawn for one send and negated for the modem's next, so that two sends take
    twice the latency);
    ``status_report_delay`` defaults to 0.2 s when latency is 0, else twice the latency.
    """

    def __init__(
        self,
        modems: int = 1,
        vendor: str | Sequence[str] = "generic",
        latency: float = DEFAULT_LATENCY,
        jitter: float | None = None,
        status_report_delay: float | None = None,
        delivered_ratio: float = 1.0,
        seed: int | None = None,
        numbers: Sequence[str] | None = None,
        *,
        boot_delay: float | None = None,
        noise_interval: float | None = 15.0,
        directory: str | Path | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        vendors = [vendor] * modems if isinstance(vendor, str) else list(vendor)
        if len(vendors) != modems:
            raise ValueError(f"{len(vendors)} vendors given for {modems} modems")
        unknown = sorted(set(vendors) - set(VENDORS))
        if unknown:
            raise ValueError(f"unknown vendor {unknown[0]!r}; choose from {', '.join(VENDORS)}")
        if numbers is not None and len(numbers) != modems:
            raise ValueError(f"{len(numbers)} numbers given for {modems} modems")
        if not 0.0 <= delivered_ratio <= 1.0:
            raise ValueError("delivered_ratio must be between 0 and 1")
        self._rng = random.Random(seed)  # noqa: S311  (simulation, not secrets)
        self._scheduler = Scheduler()
        self._own_directory = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="cellgate-sim-"))
        if status_report_delay is None:
            status_report_delay = 2 * latency if latency else 0.2
        self.network = Network(
            self._scheduler,
            clock,
            self._rng,
            status_report_delay=status_report_delay,
            delivered_ratio=delivered_ratio,
        )
        self.modems: list[SimulatedModem] = []
        for position, name in enumerate(vendors):
            personality = VENDORS[name]
            modem = SimulatedModem(
                f"sim{position}",
                personality,
                make_identity(position, numbers[position] if numbers else None),
                network=self.network,
                scheduler=self._scheduler,
                directory=self.directory,
                rng=self._rng,
                latency=latency,
                jitter=latency / 3 if jitter is None else jitter,
                boot_delay=latency / 3 if boot_delay is None else boot_delay,
                noise_interval=noise_interval if personality.noise else None,
                signal=18 + position % 10,
            )
            self.network.attach(modem)
            self.modems.append(modem)
        self._control: ControlServer | None = None
        self._started = False

    def start(self) -> Simulator:
        if self._started:
            return self
        self._started = True
        self._scheduler.start()
        for modem in self.modems:
            registry.register(modem)
            modem.plug()
        return self

    def stop(self) -> None:
        if self._control is not None:
            self._control.stop()
            self._control = None
        for modem in self.modems:
            modem.unplug()
            registry.unregister(modem)
        self._scheduler.stop()
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)
        self._started = False

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def modem(self, modem_id: str) -> SimulatedModem:
        for modem in self.modems:
            if modem.id == modem_id:
                return modem
        raise KeyError(modem_id)

    @property
    def sent(self) -> list[SentMessage]:
        return self.network.sent

    def wait_sent(self, n: int, timeout: float) -> list[SentMessage]:
        """Block until at least ``n`` messages have left; TimeoutError otherwise."""
        return self.network.wait_sent(n, timeout)

    def reset(self) -> None:
        """Forget what was sent, clear every fault, and give every modem a fresh SIM."""
        self._scheduler.cancel_all()
        self.network.reset()
        for modem in self.modems:
            modem.reset()

    def serve_control(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Serve the HTTP control API (DESIGN.md section 4) from a thread; returns the address."""
        if self._control is None:
            self._control = ControlServer(self, host, port)
        return self._control.address
