"""Dispatch benchmarks: utilisation, CPU overhead and fairness, printed as one table.

Everything is real except the radio: simulated modems on ptys (``cellgate simulate``, in
a process of their own as real modems are hardware of their own), the serial driver,
the dispatcher with the compliance gate, and a SQLite database in a temporary folder.
Run: python bench/bench_dispatch.py [--quick]

- utilisation: the queue is filled first and released in one statement once every modem
  is open, so the clock covers sending only: from the release to the last message's
  ``sent_at`` (its modem's answer; the poll that sees it is up to 50 ms later, 0.2 % of
  the run); ideal = messages x latency / modems. The
  issue's row (0.05 s a part) weighs the gateway's fixed cost per message against a
  send 50 times faster than a real modem's; the second row is a real modem's pace.
- send path: CPU of this process and the simulator's per 1,000 messages from the enqueue
  call (one session per message, as an API request has) to ``sent``: no HTTP.
- overhead: the issue's whole path as production runs it: ``cellgate run`` and
  ``cellgate simulate`` as processes, each message a REST API request over HTTP, until
  ``sent`` (status reports held back) and then, on a second run, ``delivered``. Both
  processes' CPU is counted (the gateway's is also shown alone); the client's is not.
- fairness: modems with different rates and a send latency below every interval (so the
  rate binds), shares counted only while every modem is busy: after a warm-up (the
  first token is free) and before the queue runs dry.

CPU seconds and utilisation depend on the machine: the same code read 2.1 CPU-s per
1,000 on one VM and 5 on another, and a tenth apart from one run to the next on one VM,
so each CPU row is the median of three runs (one with ``--quick``). The last line says
how fast this one runs plain Python (a fixed loop) and how much CPU its host took away
meanwhile (steal), so that figures from different machines can be set side by side.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import migrate
from gateway.config import Config, GatewaySection, ModemSection, QueueSection
from gateway.db import make_engine, make_session_factory
from gateway.dispatch import Dispatcher
from gateway.models import Kind, Message, ModemRecord, utcnow
from gateway.queue import enqueue, enqueue_due
from gateway.runtime import settle_heap
from gateway.sessions import gated_sessions
from gateway.states import MessageState

S = MessageState
UNLIMITED = 1_000_000  # messages per minute: the modem's latency is the only limit
TIMEOUT = 600.0
NEVER = 3600.0  # a status report delay no run reaches
Row = tuple[str, str, str, str]
Cpu = tuple[float, float]  # CPU seconds of the gateway, of the simulator


@dataclass
class SimProcess:
    """``cellgate simulate`` in its own process, as a modem is its own hardware: its
    work must not take the gateway's interpreter lock, nor count in the gateway's CPU."""

    process: subprocess.Popen[str]
    modems: list[dict[str, str]]
    control: int

    def sent(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.control}/sent") as response:
            sent: list[dict[str, Any]] = json.load(response)
            return sent

    def cpu(self) -> float:
        return process_cpu(self.process.pid)


@contextmanager
def simulator(
    modems: int, latency: float, report_delay: float | None = None
) -> Iterator[SimProcess]:
    control = free_port()
    delay = [f"--status-report-delay={report_delay}"] if report_delay is not None else []
    args = ["simulate", f"--modems={modems}", f"--latency={latency}", "--seed=1"]
    process, lines = start(cellgate(*args, f"--control=127.0.0.1:{control}", *delay), ready="{")
    assert process.stdout is not None
    while len(lines) < modems:
        lines.append(process.stdout.readline())
    try:
        yield SimProcess(process, [json.loads(line) for line in lines], control)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


def database(folder: Path) -> sessionmaker[Session]:
    """The database with the compliance gate on, as every sender in the gateway has it."""
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(engine)
    return gated_sessions(Config(gateway=GatewaySection(data_dir=str(folder))), engine)


def gateway_config(folder: Path, sim: SimProcess, rates: Sequence[int]) -> Config:
    return Config(
        gateway=GatewaySection(data_dir=str(folder)),
        queue=QueueSection(node="bench", poll_seconds=0.5),
        modems=tuple(
            ModemSection(name=m["id"], port=m["device"], rate_per_minute=rate, daily_cap=0)
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
                kind=Kind.TRANSACTIONAL,
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
    sim: SimProcess, rates: Sequence[int], before: Callable[[sessionmaker[Session]], None]
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
            settle_heap()  # as ``cellgate run`` does once it has started
            yield sessions
        finally:
            dispatcher.stop()


def utilisation(modems: int, latency: float, messages: int) -> Row:
    with (
        simulator(modems, latency) as sim,
        gateway(sim, [UNLIMITED] * modems, lambda s: put(s, messages, later=True)) as db,
    ):
        started = utcnow()
        with db() as session:
            enqueue_due(session, started + timedelta(days=2))
        wait_until(lambda: count_in(db, {S.SENT, S.DELIVERED}) == messages)
        with db() as session:
            last_sent = session.scalar(select(func.max(Message.sent_at)))
        assert last_sent is not None
        elapsed = (last_sent - started).total_seconds()
    ideal = messages * latency / modems
    return (
        f"utilisation: {modems} modems x {latency:g} s, {messages} messages",
        f"{elapsed:.2f} s (ideal {ideal:.2f} s)",
        f"{ideal / elapsed:.3f} of ideal",
        ">= 0.98",
    )


def send_path(modems: int, messages: int, runs: int) -> Row:
    """CPU of the send path without HTTP: the enqueue call through the compliance gate
    (a session per message, as an API request has), the database, the workers, driver
    and ptys, the simulator's process, the database again."""
    gateway_cpu, sim_cpu = median_of(runs, lambda: send_path_once(modems, messages))
    return (
        f"send path: {messages} enqueue calls to sent, {modems} modems, no HTTP",
        f"{gateway_cpu:.2f} + {sim_cpu:.2f} CPU-s{median_note(runs)}",
        f"{(gateway_cpu + sim_cpu) * 1000 / messages:.2f} CPU-s / 1,000",
        "<= 2",
    )


def send_path_once(modems: int, messages: int) -> Cpu:
    with (
        simulator(modems, 0.0, report_delay=NEVER) as sim,
        gateway(sim, [UNLIMITED] * modems, lambda s: None) as db,
    ):
        cpu, sim_cpu = time.process_time(), sim.cpu()
        put(db, messages)
        wait_until(lambda: count_in(db, {S.SENT, S.DELIVERED}) == messages)
        used = time.process_time() - cpu, sim.cpu() - sim_cpu
    return used


def median_of(runs: int, measure: Callable[[], Cpu]) -> Cpu:
    """The run whose total is the median of ``runs``: one run's CPU figures move by a
    tenth from run to run on a shared VM, more than most changes worth measuring."""
    measured = sorted((measure() for _ in range(runs)), key=sum)
    return measured[len(measured) // 2]


def median_note(runs: int) -> str:
    return f", median of {runs}" if runs > 1 else ""


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cellgate(*args: str) -> list[str]:
    return [sys.executable, "-m", "gateway", *args]


def start(args: list[str], ready: str) -> tuple[subprocess.Popen[str], list[str]]:
    """Run ``args`` until a line starting with ``ready``; its output so far is returned."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        if line.startswith(ready):
            return process, [line]
        lines.append(line)
    raise RuntimeError(f"{args} did not start:\n{''.join(lines)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def overhead(modems: int, messages: int, runs: int, *, reports: bool) -> list[Row]:
    """CPU of the whole path as it runs in production: ``cellgate run`` and ``cellgate
    simulate`` as processes, every message a REST API request over HTTP (keep-alive, as
    a CRM's client would), until every message is ``sent`` (or, with ``reports``,
    ``delivered``) in the database. The client's own CPU is not counted."""
    gateway_cpu, sim_cpu = median_of(runs, lambda: overhead_once(modems, messages, reports))
    to = "delivered" if reports else "sent"
    target = "(not in the issue)" if reports else "<= 2"
    per = 1000 / messages
    return [
        (
            f"overhead: {messages} API requests to {to}, {modems} modems, latency 0",
            f"{gateway_cpu:.2f} + {sim_cpu:.2f} CPU-s{median_note(runs)}",
            f"{(gateway_cpu + sim_cpu) * per:.2f} CPU-s / 1,000",
            target,
        ),
        (
            "  of which the gateway process (API, database, workers, serial)",
            f"{gateway_cpu:.2f} CPU-s",
            f"{gateway_cpu * per:.2f} CPU-s / 1,000",
            "",
        ),
    ]


def overhead_once(modems: int, messages: int, reports: bool) -> Cpu:
    port = free_port()
    with (
        simulator(modems, 0.0, 0.2 if reports else NEVER) as sim,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        config = folder / "cellgate.toml"
        config.write_text(
            f'[gateway]\ndata_dir = "{folder}"\n[web]\nport = {port}\n'
            '[logging]\nlevel = "WARNING"\n[api]\nrate_per_minute = 1000000\n'
            "burst = 1000000\n"
            + "".join(
                f'[[modems]]\nname = "{m["id"]}"\nport = "{m["device"]}"\n'
                f"rate_per_minute = {UNLIMITED}\ndaily_cap = 0\n"
                for m in sim.modems
            )
        )
        subprocess.run(
            cellgate("-c", str(config), "db", "upgrade"), check=True, capture_output=True
        )
        key = subprocess.run(
            cellgate("-c", str(config), "apikey", "create", "bench", "--scope", "send"),
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        gateway, _ = start(cellgate("-c", str(config), "run"), ready="Cellgate is serving")
        try:
            sessions = make_session_factory(make_engine(f"sqlite:///{folder / 'cellgate.db'}"))
            done = {S.DELIVERED} if reports else {S.SENT, S.DELIVERED}
            wait_until(lambda: open_modems(sessions) == modems)
            gateway_cpu, sim_cpu = process_cpu(gateway.pid), sim.cpu()
            post(port, key, messages)
            wait_until(lambda: count_in(sessions, done) == messages)
            used = process_cpu(gateway.pid) - gateway_cpu, sim.cpu() - sim_cpu
        finally:
            gateway.send_signal(signal.SIGTERM)
            gateway.wait(30)
    return used


def open_modems(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).where(ModemRecord.imei.is_not(None))) or 0


def post(port: int, key: str, messages: int) -> None:
    """``messages`` POST /api/v1/messages on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    for n in range(messages):
        body = json.dumps({"to": f"+1202{n:07d}", "body": f"bench {n}"})
        connection.request("POST", "/api/v1/messages", body, headers)
        response = connection.getresponse()
        response.read()
        if response.status != 202:
            raise RuntimeError(f"POST /messages: {response.status}")
    connection.close()


def fairness(rates: Sequence[int], latency: float, window: float) -> list[Row]:
    warmup = 2 * 60 / min(rates)  # past every modem's free first token
    messages = int(sum(rates) / 60 * (warmup + window) * 1.5)  # never runs dry
    with (
        simulator(len(rates), latency) as sim,
        gateway(sim, rates, lambda s: put(s, messages, later=True)) as db,
    ):
        with db() as session:
            enqueue_due(session, utcnow() + timedelta(days=2))
        start = utcnow() + timedelta(seconds=warmup)
        time.sleep(warmup + window + 0.5)
        end = start + timedelta(seconds=window)
        counts = Counter(
            m["modem"] for m in sim.sent() if start <= datetime.fromisoformat(m["at"]) < end
        )
    total = sum(counts.values())
    rows = []
    for modem, rate in zip(sim.modems, rates, strict=True):
        expected = total * rate / sum(rates)
        share = counts[modem["id"]]
        rows.append(
            (
                f"fairness: {modem['id']} at {rate}/min, {window:g} s busy window",
                f"{share} of {total} (expected {expected:.0f})",
                f"{abs(share - expected) / expected:.1%} off",
                "within 5 %",
            )
        )
    return rows


def steal_and_total() -> tuple[int, int]:
    """CPU time the host took from this VM, and all CPU time, so far (Linux /proc/stat
    ticks; zeros elsewhere)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0, 0
    return (ticks[7] if len(ticks) > 7 else 0), sum(ticks)


def reference_loop() -> float:
    """CPU seconds of a fixed plain-Python workload: this machine's speed at Python."""
    started = time.process_time()
    sum(i * i for i in range(10_000_000))
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the work")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    scale = 10 if args.quick else 1
    runs = 1 if args.quick else 3
    steal, total = steal_and_total()
    rows = [
        utilisation(4, 0.05, 2000 // scale),
        utilisation(4, 2.5, 8 if args.quick else 40),
        send_path(4, 1000 // scale, runs),
        *overhead(4, 1000 // scale, runs, reports=False),
        *overhead(4, 1000 // scale, runs, reports=True),
        *fairness([300, 600, 1200], 0.02, 6.0 if args.quick else 30.0),
    ]
    header = ("benchmark", "measured", "result", "target")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    steal_after, total_after = steal_and_total()
    stolen, elapsed = steal_after - steal, total_after - total
    print(
        f"(this machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
        f"a reference loop of plain Python takes {reference_loop():.2f} CPU-s; "
        f"the host took {stolen / max(elapsed, 1):.1%} of its CPU time during the run)"
    )


if __name__ == "__main__":
    main()
