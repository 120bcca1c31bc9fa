"""The ledger runs a worker's database tasks one at a time, in the order given, whether
they are submitted (run on its thread) or called (run on the caller's when it can)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gateway.db import make_engine, make_session_factory
from gateway.dispatch.ledger import Ledger

WAIT = 10.0


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE log (entry TEXT)"))
    ledger = Ledger(make_session_factory(engine), "sim0")
    yield ledger
    ledger.close()
    engine.dispose()


def write(entry: str, gate: threading.Event | None = None) -> Callable[[Session], str]:
    def task(session: Session) -> str:
        if gate is not None:
            assert gate.wait(WAIT)
        session.execute(text("INSERT INTO log VALUES (:entry)"), {"entry": entry})
        return threading.current_thread().name

    return task


def entries(ledger: Ledger) -> list[str]:
    return ledger.call(lambda session: list(session.scalars(text("SELECT entry FROM log"))))


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
    assert [name[: len("ledger-sim0")] for name in called] == ["ledger-sim0"]
    assert entries(ledger) == ["outcome", "claim"]


def test_a_task_submitted_while_a_call_runs_waits_for_it(ledger: Ledger) -> None:
    """The reader submits a send's booking while the worker's own call may be running."""
    later: list[Future[str]] = []

    def claim(session: Session) -> None:
        submitter = threading.Thread(target=lambda: later.append(ledger.submit(write("booking"))))
        submitter.start()
        submitter.join(WAIT)
        session.execute(text("INSERT INTO log VALUES ('claim')"))

    ledger.call(claim)

    later[0].result(WAIT)
    assert entries(ledger) == ["claim", "booking"]
