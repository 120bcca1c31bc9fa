"""The ledger runs a worker's database tasks one at a time, in the order given, whether
they are submitted (run on its thread) or called (run on the caller's when it can)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.dispatch.ledger import Ledger

WAIT = 10.0
LOG = Table(
    "ledger_log",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("entry", String(20), nullable=False),
)


@pytest.fixture
def ledger(engine: Engine, sessions: sessionmaker[Session]) -> Iterator[Ledger]:
    LOG.create(engine)
    ledger = Ledger(sessions, "sim0")
    yield ledger
    ledger.close()


def write(entry: str, gate: threading.Event | None = None) -> Callable[[Session], str]:
    def task(session: Session) -> str:
        if gate is not None:
            assert gate.wait(WAIT)
        session.execute(insert(LOG).values(entry=entry))
        return threading.current_thread().name

    return task


def entries(ledger: Ledger) -> list[str]:
    return ledger.call(
        lambda session: list(session.scalars(select(LOG.c.entry).order_by(LOG.c.id)))
    )


def test_a_call_on_an_idle_ledger_runs_on_the_callers_thread_and_commits(ledger: Ledger) -> None:
    ran_on = ledger.call(write("claim"))

    assert ran_on == threading.current_thread().name
    assert entries(ledger) == ["claim"]


def test_a_call_runs_after_the_tasks_submitted_before_it(ledger: Ledger) -> None:
    gate = threading.Event()
    first = ledger.submit(write("outcome", gate))
    called: list[str] = []
    caller = threading.Thread(target=lambda: called.append(ledger.call(write("claim"))))
    caller.start()
    caller.join(0.2)
    assert caller.is_alive()  # waiting behind the submitted task

    gate.set()
    caller.join(WAIT)

    assert first.result(WAIT).startswith("ledger-sim0")
    assert len(called) == 1
    assert called[0].startswith("ledger-sim0")
    assert entries(ledger) == ["outcome", "claim"]


def test_a_task_submitted_while_a_call_runs_waits_for_it(ledger: Ledger) -> None:
    """The reader submits a send's booking while the worker's own call may be running."""
    later: list[Future[str]] = []

    def claim(session: Session) -> None:
        submitter = threading.Thread(target=lambda: later.append(ledger.submit(write("booking"))))
        submitter.start()
        submitter.join(WAIT)
        with pytest.raises(TimeoutError):  # the booking waits for this call to finish
            later[0].result(0.2)
        session.execute(insert(LOG).values(entry="claim"))

    ledger.call(claim)

    later[0].result(WAIT)
    assert entries(ledger) == ["claim", "booking"]
