"""A real ``cellgate run`` with simulated modems: the send command, and kill -9 mid-broadcast."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from drivers.sim import Simulator
from gateway.db import make_engine, make_session_factory
from gateway.models import Kind, Message, utcnow
from gateway.queue import enqueue
from gateway.queue.recovery import UNKNOWN_REASON
from gateway.states import MessageState
from tests.plugins.gateway_server import LiveServer, cellgate, start_server

S = MessageState
WAIT = 30.0


def modems_config(sim: Simulator) -> str:
    tables = "".join(
        f'[[modems]]\nname = "{m.id}"\nport = "{m.device}"\nrate_per_minute = 60000\n'
        for m in sim.modems
    )
    # Marketing may go at any hour here: the test must not depend on the time in Washington.
    anytime = '[compliance]\nquiet_hours = "00:00-24:00"\n'
    return f'[queue]\nnode = "crash-test"\npoll_seconds = 0.1\n{anytime}{tables}'


@pytest.fixture
def gateway_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on the database the live server uses (data/ beside its config)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'cellgate.db'}")
    yield make_session_factory(engine)
    engine.dispose()


def settled(sessions: sessionmaker[Session], count: int) -> list[Message]:
    """Poll (this is a test) until ``count`` messages are sent or delivered."""
    deadline = time.monotonic() + WAIT
    while True:
        with sessions() as session:
            rows = list(session.scalars(select(Message)).all())
        if sum(row.state in (S.SENT, S.DELIVERED) for row in rows) >= count:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {Counter(row.state for row in rows)}")
        time.sleep(0.1)


def test_send_waits_until_the_running_gateway_has_sent_it(
    simulator: Callable[..., Simulator],
    live_server_factory: Callable[..., LiveServer],
) -> None:
    sim = simulator(modems=1)
    server = live_server_factory(modems_config(sim))
    result = subprocess.run(
        cellgate("send", "(202) 555-0199", "hello from the CLI", "--wait", config=server.config),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "message 1 to +12025550199: queued (1 part, gsm7)" in result.stdout
    assert result.stdout.splitlines()[-1] in ("message 1: sent", "message 1: delivered")
    assert [m.text for m in sim.sent] == ["hello from the CLI"]


def test_send_refuses_an_invalid_number(live_server_factory: Callable[..., LiveServer]) -> None:
    server = live_server_factory()
    result = subprocess.run(
        cellgate("send", "12", "hi", config=server.config),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "is not a possible phone number" in result.stderr


def test_kill_9_mid_broadcast_loses_nothing_and_duplicates_only_unknowns(
    simulator: Callable[..., Simulator],
    live_server_factory: Callable[..., LiveServer],
    gateway_sessions: sessionmaker[Session],
) -> None:
    sim = simulator(modems=2, latency=0.05)
    server = live_server_factory(modems_config(sim))
    with gateway_sessions() as session:
        for n in range(60):
            enqueue(
                session,
                f"+1202555{n:04d}",
                f"broadcast {n}",
                kind=Kind.MARKETING,
                region="US",
                now=utcnow(),
            )
    sim.wait_sent(15, timeout=WAIT)
    server.process.kill()
    server.process.wait(timeout=10)
    assert server.config is not None
    restarted = start_server(server.config)
    try:
        rows = settled(gateway_sessions, 60)
    finally:
        restarted.stop()
    assert Counter(row.state for row in rows).keys() <= {S.SENT, S.DELIVERED}
    copies = Counter(m.text for m in sim.sent)
    assert set(copies) == {f"broadcast {n}" for n in range(60)}
    resent = {row.body for row in rows if row.last_error == UNKNOWN_REASON}
    assert {text for text, count in copies.items() if count > 1} <= resent
