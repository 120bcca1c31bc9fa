"""Dispatch benchmarks: utilisation, CPU overhead and fairness, printed as a table.

Everything is real except the radio: simulated modems on ptys, the serial driver, the
dispatcher and a SQLite database in a temporary folder. Run: python bench/bench_dispatch.py
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from drivers.sim import Simulator
from gateway import migrate
from gateway.config import Config, GatewaySection, ModemSection, QueueSection
from gateway.db import make_engine, make_session_factory
from gateway.dispatch import Dispatcher
from gateway.models import Kind, Message, utcnow
from gateway.queue import enqueue
from gateway.states import MessageState

UNLIMITED = 1_000_000  # messages per minute: the modem's latency is the only limit
TIMEOUT = 600.0


def database(folder: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(engine)
    return make_session_factory(engine)


def gateway_config(folder: Path, sim: Simulator, rates: Sequence[int]) -> Config:
    return Config(
        gateway=GatewaySection(data_dir=str(folder)),
        queue=QueueSection(node="bench", poll_seconds=0.5),
        modems=tuple(
            ModemSection(name=m.id, port=m.device, rate_per_minute=rate, daily_cap=0)
            for m, rate in zip(sim.modems, rates, strict=True)
        ),
    )


def put(sessions: sessionmaker[Session], count: int) -> None:
    with sessions() as session:
        for n in range(count):
            enqueue(
                session,
                f"+1202{n:07d}",
                f"bench {n}",
                kind=Kind.MARKETING,
                region="US",
                now=utcnow(),
            )


def wait_all_sent(sessions: sessionmaker[Session], count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with sessions() as session:
            done = session.scalar(
                select(func.count()).where(
                    Message.state.in_([MessageState.SENT, MessageState.DELIVERED])
                )
            )
        if done == count:
            return
        time.sleep(0.01)
    raise TimeoutError("messages were not all sent")


def utilisation(modems: int, latency: float, messages: int) -> tuple[str, str, str, str]:
    with tempfile.TemporaryDirectory() as tmp, Simulator(modems=modems, latency=latency) as sim:
        folder = Path(tmp)
        sessions = database(folder)
        put(sessions, messages)
        dispatcher = Dispatcher(gateway_config(folder, sim, [UNLIMITED] * modems), sessions)
        started = time.monotonic()
        dispatcher.start()
        wait_all_sent(sessions, messages)
        elapsed = time.monotonic() - started
        dispatcher.stop()
    ideal = messages * latency / modems
    return (
        f"utilisation: {modems} modems x {latency:g} s, {messages} messages",
        f"{elapsed:.2f} s (ideal {ideal:.2f} s)",
        f"{ideal / elapsed:.3f} of ideal",
        ">= 0.98",
    )


def overhead(modems: int, messages: int) -> tuple[str, str, str, str]:
    """CPU of the whole path in this one process: enqueue, database, workers, driver, ptys,
    simulator, database again."""
    with tempfile.TemporaryDirectory() as tmp, Simulator(modems=modems, latency=0.0) as sim:
        folder = Path(tmp)
        sessions = database(folder)
        dispatcher = Dispatcher(gateway_config(folder, sim, [UNLIMITED] * modems), sessions)
        dispatcher.start()
        cpu = time.process_time()
        put(sessions, messages)
        wait_all_sent(sessions, messages)
        used = time.process_time() - cpu
        dispatcher.stop()
    per_thousand = used * 1000 / messages
    return (
        f"overhead: latency 0, {messages} messages, {modems} modems",
        f"{used:.2f} CPU-s",
        f"{per_thousand:.2f} CPU-s / 1,000",
        "<= 2",
    )


def fairness(rates: Sequence[int], messages: int) -> list[tuple[str, str, str, str]]:
    with tempfile.TemporaryDirectory() as tmp, Simulator(modems=len(rates), latency=0.0) as sim:
        folder = Path(tmp)
        sessions = database(folder)
        put(sessions, messages)
        dispatcher = Dispatcher(gateway_config(folder, sim, rates), sessions)
        dispatcher.start()
        wait_all_sent(sessions, messages)
        dispatcher.stop()
        counts = Counter(m.modem for m in sim.sent)
    rows = []
    for modem, rate in zip(sim.modems, rates, strict=True):
        expected = messages * rate / sum(rates)
        share = counts[modem.id]
        rows.append(
            (
                f"fairness: {modem.id} at {rate}/min",
                f"{share} of {messages} (expected {expected:.0f})",
                f"{abs(share - expected) / expected:.1%} off",
                "within 5 %",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    scale = 10 if args.quick else 1
    rows = [
        utilisation(4, 0.05, args.messages // scale),
        overhead(4, 1000 // scale),
        *fairness([600, 1200, 2400], 1400 // scale),
    ]
    header = ("benchmark", "measured", "result", "target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
