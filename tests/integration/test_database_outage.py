"""A database that stops answering is waited out. Mid-broadcast, the workers carry on
when it is back, every message goes out once and none is left ``sending``; the API
answers 503 with Retry-After meanwhile, so a client sends again rather than giving up.

The outage is real. On SQLite another connection holds the write lock for longer than
the busy timeout (as a long import or a ``sqlite3`` shell left in a transaction would);
on PostgreSQL the database refuses connections and the gateway's are cut, as in a
restart, or the network drops a commit's answer after the server has committed.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from drivers.sim import Simulator
from gateway import migrate
from gateway.apikeys import create_key
from gateway.config import Config
from gateway.db import make_engine, make_session_factory
from gateway.dispatch import Dispatcher
from gateway.dispatch.ledger import Ledger, after_commit
from gateway.models import Direction, Kind, Message, utcnow
from gateway.runtime import Gateway
from gateway.states import MessageState
from tests.conftest import postgres_schema
from tests.integration.test_dispatch import WAIT, gateway_config, put, wait_for_states
from tests.waiting import eventually
from web import create_app

S = MessageState
OUTAGE_SECONDS = 1.5
Outage = Callable[[], AbstractContextManager[None]]


@contextmanager
def sqlite_locked(path: str) -> Iterator[None]:
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("COMMIT")
    finally:
        holder.close()


@contextmanager
def postgres_down(url: str) -> Iterator[None]:
    """``url``'s database refuses connections and every session on it is ended."""
    target = make_url(url)
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False))
    name = {"name": target.database}
    try:
        with admin.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text(f'ALTER DATABASE "{target.database}" ALLOW_CONNECTIONS false'))
            try:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    name,
                )
                yield
            finally:
                connection.execute(
                    text(f'ALTER DATABASE "{target.database}" ALLOW_CONNECTIONS true')
                )
    finally:
        admin.dispose()


@pytest.fixture
def outage(engine: Engine, database_url: str) -> Outage:
    if engine.dialect.name == "sqlite":
        path = make_url(database_url).database
        assert path is not None
        return lambda: sqlite_locked(path)
    return lambda: postgres_down(database_url)


@pytest.fixture
def gateway_engine(engine: Engine, database_url: str) -> Iterator[Engine]:
    """The gateway's own engine: on SQLite a writer gives up after 0.2 s, not 10 s, so
    the outage outlasts the busy timeout many times over in a short test."""
    own = make_engine(database_url, busy_timeout=0.2)
    yield own
    own.dispose()


@pytest.fixture
def gateway_sessions(gateway_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(gateway_engine)


def test_the_workers_wait_out_a_database_outage_and_send_everything_once(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    gateway_sessions: sessionmaker[Session],
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = simulator(modems=2, latency=0.02)
    dispatcher = Dispatcher(gateway_config(tmp_path, sim), gateway_sessions)
    dispatcher.start()
    try:
        assert eventually(lambda: all(h.connected for h in dispatcher.health()), WAIT)
        put(sessions, 40, kind=Kind.MARKETING)
        sim.wait_sent(5, timeout=WAIT)
        with caplog.at_level(logging.WARNING, logger="gateway.dispatch"), outage():
            time.sleep(OUTAGE_SECONDS)
        put(sessions, 1, body="after the outage")
        states = wait_for_states(sessions, {S.DELIVERED}, 41)
        health = dispatcher.health()
    finally:
        dispatcher.stop()

    assert states == {S.DELIVERED: 41}
    texts = Counter(m.text for m in sim.sent)
    assert texts == Counter([f"message {n}" for n in range(40)] + ["after the outage"])
    assert "the database is unavailable" in caplog.text
    assert any(h.last_error is not None and "database unavailable" in h.last_error for h in health)


def test_a_gateway_stopped_during_an_outage_stops_and_the_next_start_settles_every_message(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    gateway_sessions: sessionmaker[Session],
    outage: Outage,
) -> None:
    sim = simulator(modems=2, latency=0.02)
    config = gateway_config(tmp_path, sim)
    dispatcher = Dispatcher(config, gateway_sessions)
    dispatcher.start()
    put(sessions, 40, kind=Kind.MARKETING)
    sim.wait_sent(5, timeout=WAIT)
    with outage():
        started = time.monotonic()
        dispatcher.stop()
        stopping = time.monotonic() - started
    restarted = Dispatcher(config, gateway_sessions)
    restarted.start()
    try:
        states = wait_for_states(sessions, {S.DELIVERED}, 40)
    finally:
        restarted.stop()

    assert stopping < 5
    assert states == {S.DELIVERED: 40}
    texts = Counter(m.text for m in sim.sent)
    assert set(texts) == {f"message {n}" for n in range(40)}


def test_an_sms_that_arrives_during_an_outage_is_stored_once_the_database_answers(
    simulator: Callable[..., Simulator],
    tmp_path: Path,
    sessions: sessionmaker[Session],
    gateway_engine: Engine,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = simulator(modems=1)
    config = gateway_config(tmp_path, sim)
    config = replace(config, inbound=replace(config.inbound, sweep_seconds=0.5))
    gateway = Gateway.build(config, gateway_engine)
    gateway.start()
    try:
        assert eventually(lambda: all(h.connected for h in gateway.dispatcher.health()), WAIT)
        with caplog.at_level(logging.WARNING, logger="gateway.dispatch"), outage():
            sim.modems[0].inject_text("+14155550123", "C")  # notified, not storable yet
            time.sleep(OUTAGE_SECONDS)
        assert eventually(lambda: len(inbound_texts(sessions)) > 0, WAIT)
        time.sleep(1.0)  # a later sweep must not store it again
    finally:
        gateway.stop()

    assert inbound_texts(sessions) == ["C"]
    # Storing it failed, or the worker was waiting on the database when it came: either
    # way the gateway met the outage and the SMS waited on the SIM.
    assert "sim0: " in caplog.text
    assert "the database is unavailable" in caplog.text


def test_a_database_never_upgraded_is_a_fault_not_an_outage(
    config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """ "no such table" comes as the same exception class as "database is locked"; waiting
    does not mend it, so the API answers 500 (with the traceback logged), not 503."""
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    client = create_app(config, make_session_factory(empty)).test_client()
    try:
        answer = client.get(
            "/api/v1/messages", headers={"Authorization": f"Bearer cg_abcdefgh_{'x' * 43}"}
        )
    finally:
        empty.dispose()

    assert answer.status_code == 500
    assert answer.get_json()["error"]["code"] == "internal_error"
    assert "Retry-After" not in answer.headers
    assert "no such table" in caplog.text


def test_a_task_run_again_after_an_outage_does_what_follows_its_commit_once(
    sessions: sessionmaker[Session], gateway_sessions: sessionmaker[Session], outage: Outage
) -> None:
    """A send's failure counts in the modem's health after its record commits: counted
    on the run that failed, it was counted again by the run that wrote it."""
    put(sessions, 1)
    counted: list[int] = []
    runs: list[int] = []

    def task(session: Session) -> None:
        runs.append(1)
        after_commit(session, lambda: counted.append(len(runs)))
        session.execute(text("UPDATE messages SET last_error = 'noted'"))

    ledger = Ledger(gateway_sessions, "sim0")
    try:
        with outage():
            done = ledger.submit(task)
            time.sleep(OUTAGE_SECONDS)
            assert not done.done()
        done.result(timeout=WAIT)
    finally:
        ledger.close()

    assert len(runs) > 1
    assert counted == [len(runs)]


def inbound_texts(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(Message.body).where(Message.direction == Direction.IN)))


def test_the_api_answers_503_while_the_database_is_down_and_takes_the_message_after(
    config: Config,
    sessions: sessionmaker[Session],
    gateway_sessions: sessionmaker[Session],
    outage: Outage,
) -> None:
    with sessions.begin() as session:
        _, key = create_key(session, "crm", ["send"], now=utcnow())
    client = create_app(config, gateway_sessions).test_client()
    headers = {"Authorization": f"Bearer {key}"}
    message = {"to": "+14155550123", "body": "Your appointment is tomorrow at 10"}

    with outage():
        refused = client.post("/api/v1/messages", json=message, headers=headers)
    accepted = client.post("/api/v1/messages", json=message, headers=headers)

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert refused.get_json()["error"]["code"] == "unavailable"
    assert accepted.status_code == 202
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 1


class CommitAnswerCut:
    """A TCP hop between the gateway and PostgreSQL. Once armed, it lets the COMMIT of the
    next transaction that claims a message reach the server, and cuts the connection as
    the server's answer comes back: the claim is on record, and the gateway is told the
    commit failed."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.armed = threading.Event()
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._target)
            commit_sent = threading.Event()
            threading.Thread(
                target=self._to_server, args=(client, server, commit_sent), daemon=True
            ).start()
            threading.Thread(
                target=self._to_client, args=(server, client, commit_sent), daemon=True
            ).start()

    def _to_server(
        self, client: socket.socket, server: socket.socket, commit_sent: threading.Event
    ) -> None:
        claiming = False
        while data := _receive(client):
            if self.armed.is_set() and b"claimed_at" in data and b"RETURNING" in data:
                claiming = True
            if claiming and b"COMMIT" in data:
                self.armed.clear()
                claiming = False
                commit_sent.set()
            server.sendall(data)
        _shut(server)

    def _to_client(
        self, server: socket.socket, client: socket.socket, commit_sent: threading.Event
    ) -> None:
        while data := _receive(server):
            if commit_sent.is_set():  # the server's answer to that COMMIT: it landed
                self.cut.set()
                break
            client.sendall(data)
        for end in (client, server):  # shutdown first: the other pump is blocked reading
            _shut(end)


def _shut(connection: socket.socket) -> None:
    with suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()


def _receive(connection: socket.socket) -> bytes:
    try:
        return connection.recv(65536)
    except OSError:
        return b""


@pytest.mark.postgres
def test_a_claim_whose_commit_lost_its_answer_is_sent_not_left_sending(
    simulator: Callable[..., Simulator], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with postgres_schema() as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        target = make_url(url)
        cutter = CommitAnswerCut(target.host or "127.0.0.1", target.port or 5432)
        through_cutter = make_engine(
            target.set(host="127.0.0.1", port=cutter.port).render_as_string(hide_password=False)
        )
        sim = simulator(modems=1, latency=0.02)
        dispatcher = Dispatcher(gateway_config(tmp_path, sim), make_session_factory(through_cutter))
        dispatcher.start()
        try:
            put(sessions, 10)
            sim.wait_sent(3, timeout=WAIT)
            with caplog.at_level(logging.WARNING, logger="gateway.dispatch"):
                cutter.armed.set()
                assert cutter.cut.wait(WAIT)
                states = wait_for_states(sessions, {S.DELIVERED}, 10)
        finally:
            dispatcher.stop()
            cutter.close()
            through_cutter.dispose()
            engine.dispose()

    assert states == {S.DELIVERED: 10}
    assert Counter(m.text for m in sim.sent) == Counter(f"message {n}" for n in range(10))
    assert "the database is unavailable" in caplog.text
