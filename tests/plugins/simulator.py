"""The ``simulator`` fixture: start simulated modems for a test, stop them afterwards.

Loaded by tests/conftest.py (``pytest_plugins = ["tests.plugins.simulator"]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drivers.sim import Simulator

SimulatorFactory = Callable[..., Simulator]


@pytest.fixture
def simulator() -> Iterator[SimulatorFactory]:
    """``simulator(modems=1, vendor="generic", latency=0.0, **kw)`` -> a started Simulator."""
    started: list[Simulator] = []

    def start(
        modems: int = 1, vendor: str | list[str] = "generic", latency: float = 0.0, **kw: Any
    ) -> Simulator:
        kw.setdefault("boot_delay", 0.0)
        sim = Simulator(modems=modems, vendor=vendor, latency=latency, **kw).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
