"""Dispatch benchmarks: utilisation, CPU overhead and fairness, printed as one table.

Everything is real except the radio: simulated modems on ptys (in this process, so their
CPU counts), the serial driver, the dispatcher and a SQLite database in a temporary
folder. Run: python bench/bench_dispatch.py [--quick]

- utilisation: the queue is filled first and released in one statement once every modem
  is open, so the clock covers sending only; ideal = messages x latency / modems.
- overhead: CPU of this process per 1,000 messages from the enqueue call (one session
  per message, as an API request has) to ``sent`` in the database. Delivery reports
  are held back by the simulator so that row is the send path the issue defines; the
  next row lets them flow and waits for ``delivered`` (the whole life of a message).
- fairness: modems with different rates and a send latency below every interval (so the
  rate binds), shares counted only while every modem is busy: after a warm-up (the
  first token is free) and before the queue runs dry.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from drivers.sim import Simulator
from gateway import migrate
from gateway.config import Config, GatewaySection, ModemSection, QueueSection
from gateway.db import make_engine, make_session_factory
from gateway.dispatch import Dispatcher
from gateway.models import Kind, Message, utcnow
from gateway.queue import enqueue, enqueue_due
from gateway.states import MessageState

S = MessageState
UNLIMITED = 1_000_000  # messages per minute: the modem's latency is the only limit
TIMEOUT = 600.0
NEVER = 3600.0  # a status report delay no run reaches
Row = tuple[str, str, str, str]


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


def put(sessions: sessionmaker[Session], count: int, *, later: bool = False) -> None:
    """Enqueue ``count`` messages, each in its own session like an API request."""
    now = utcnow()
    for n in range(count):
        with sessions() as session:
            enqueue(
                session,
                f"+1202{n:07d}",
                f"bench {n}",
                kind=Kind.MARKETING,
                region="US",
                now=now,
                send_at=now + timedelta(days=1) if later else None,
            )


def count_in(sessions: sessionmaker[Session], states: set[MessageState]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).where(Message.state.in_(states))) or 0


def wait_until(done: Callable[[], bool]) -> None:
    """Poll sparingly: the poll's own CPU counts in the overhead rows."""
    deadline = time.monotonic() + TIMEOUT
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark did not finish")
        time.sleep(0.05)


@contextmanager
def gateway(
    sim: Simulator, rates: Sequence[int], before: Callable[[sessionmaker[Session]], None]
) -> Iterator[sessionmaker[Session]]:
    """A database (``before`` fills it), a running dispatcher with every modem open."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sessions = database(folder)
        before(sessions)
        dispatcher = Dispatcher(gateway_config(folder, sim, rates), sessions)
        dispatcher.start()
        try:
            wait_until(lambda: all(h.connected for h in dispatcher.health()))
            yield sessions
        finally:
            dispatcher.stop()


def utilisation(modems: int, latency: float, messages: int) -> Row:
    sim = Simulator(modems=modems, latency=latency)
    with sim, gateway(sim, [UNLIMITED] * modems, lambda s: put(s, messages, later=True)) as db:
        started = time.monotonic()
        with db() as session:
            enqueue_due(session, utcnow() + timedelta(days=2))
        sim.wait_sent(messages, TIMEOUT)
        elapsed = time.monotonic() - started
        wait_until(lambda: count_in(db, {S.SENT, S.DELIVERED}) == messages)
    ideal = messages * latency / modems
    return (
        f"utilisation: {modems} modems x {latency:g} s, {messages} messages",
        f"{elapsed:.2f} s (ideal {ideal:.2f} s)",
        f"{ideal / elapsed:.3f} of ideal",
        ">= 0.98",
    )


def overhead(modems: int, messages: int, *, reports: bool) -> Row:
    """CPU of the whole path in this one process: enqueue, database, workers, driver, ptys,
    simulator, database again (and the delivery reports when ``reports``)."""
    done = {S.DELIVERED} if reports else {S.SENT, S.DELIVERED}
    delay = None if reports else NEVER
    sim = Simulator(modems=modems, latency=0.0, status_report_delay=delay)
    with sim, gateway(sim, [UNLIMITED] * modems, lambda s: None) as db:
        cpu = time.process_time()
        put(db, messages)
        sim.wait_sent(messages, TIMEOUT)
        wait_until(lambda: count_in(db, done) == messages)
        used = time.process_time() - cpu
    per_thousand = used * 1000 / messages
    return (
        f"overhead: latency 0, {messages} messages, {modems} modems"
        + (", to delivered" if reports else ", to sent"),
        f"{used:.2f} CPU-s",
        f"{per_thousand:.2f} CPU-s / 1,000",
        "<= 2" if not reports else "(not in the issue)",
    )


def fairness(rates: Sequence[int], latency: float, window: float) -> list[Row]:
    warmup = 2 * 60 / min(rates)  # past every modem's free first token
    messages = int(sum(rates) / 60 * (warmup + window) * 1.5)  # never runs dry
    sim = Simulator(modems=len(rates), latency=latency)
    with sim, gateway(sim, rates, lambda s: put(s, messages, later=True)) as db:
        with db() as session:
            enqueue_due(session, utcnow() + timedelta(days=2))
        start = utcnow() + timedelta(seconds=warmup)
        time.sleep(warmup + window + 0.5)
        end = start + timedelta(seconds=window)
        counts = Counter(m.modem for m in sim.sent if start <= m.at < end)
    total = sum(counts.values())
    rows = []
    for modem, rate in zip(sim.modems, rates, strict=True):
        expected = total * rate / sum(rates)
        share = counts[modem.id]
        rows.append(
            (
                f"fairness: {modem.id} at {rate}/min, {window:g} s busy window",
                f"{share} of {total} (expected {expected:.0f})",
                f"{abs(share - expected) / expected:.1%} off",
                "within 5 %",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    scale = 10 if args.quick else 1
    rows = [
        utilisation(4, 0.05, 2000 // scale),
        overhead(4, 1000 // scale, reports=False),
        overhead(4, 1000 // scale, reports=True),
        *fairness([300, 600, 1200], 0.02, 6.0 if args.quick else 30.0),
    ]
    header = ("benchmark", "measured", "result", "target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"(load average on this machine: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
