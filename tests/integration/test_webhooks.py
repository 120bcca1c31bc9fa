"""Webhooks end to end: outbox rows, signed POSTs to a real receiver, retries, the log."""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import WebhooksSection
from gateway.models import (
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from gateway.queue.enqueue import enqueue
from gateway.webhooks import EventType, emit, emit_message_status, verify
from gateway.webhooks.delivery import attempt, deliver_due, next_due
from gateway.webhooks.endpoints import add_endpoint, recent_attempts, send_test_event
from gateway.webhooks.worker import WebhookWorker

WAIT = 10.0
SETTINGS = WebhooksSection(timeout_seconds=5.0, max_attempts=3, backoff_seconds=60.0)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool = False

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver that checks signatures as the docs tell receivers to."""

    url: str
    secret: str = ""
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int) -> list[Received]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.received) >= count, WAIT)
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got = Received(self.path, dict(self.headers.items()), body)
            got.signature_ok = verify(
                state.secret,
                body,
                signature=self.headers.get("X-Cellgate-Signature", ""),
                timestamp=self.headers.get("X-Cellgate-Timestamp", ""),
                now=time.time(),
            )
            status = state.answers.pop(0) if state.answers else 200
            if self.path == "/moved":
                status = 302
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            with state.arrived:
                state.received.append(got)
                state.arrived.notify_all()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(WAIT)


def identity(value: datetime) -> datetime:
    return value


def subscribe(
    sessions: sessionmaker[Session], receiver: Receiver, *events: str, url: str | None = None
) -> int:
    with sessions.begin() as session:
        endpoint = add_endpoint(session, url or receiver.url, events, now=utcnow())
        receiver.secret = endpoint.secret
        return endpoint.id


def deliveries(sessions: sessionmaker[Session]) -> list[WebhookDelivery]:
    with sessions() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_emit_queues_one_delivery_per_subscribed_active_endpoint(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    status_hook = subscribe(sessions, receiver, "message.status")
    subscribe(sessions, receiver, "message.received")
    paused = subscribe(sessions, receiver)
    with sessions.begin() as session:
        session.get_one(WebhookEndpoint, paused).active = False
        assert emit(session, EventType.MESSAGE_STATUS, {"id": 1}, now=utcnow()) == 1
    (queued,) = deliveries(sessions)
    assert queued.endpoint_id == status_hook
    assert queued.state == DeliveryState.PENDING
    assert json.loads(queued.body)["data"] == {"id": 1}


def test_an_event_rolled_back_with_its_change_is_never_sent(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    subscribe(sessions, receiver)
    with sessions() as session:
        emit(session, EventType.CONTACT_OPTED_OUT, {"number": "+14155550123"}, now=utcnow())
        session.rollback()
    assert deliveries(sessions) == []


def test_a_delivery_is_signed_and_logged(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    endpoint_id = subscribe(sessions, receiver)
    now = utcnow()
    with sessions.begin() as session:
        emit(session, EventType.MESSAGE_RECEIVED, {"from": "+14155550123"}, now=now)
    with sessions() as session:
        assert deliver_due(session, SETTINGS, clock=lambda: now) == 1
    (got,) = receiver.wait_for(1)
    assert got.signature_ok
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Cellgate-Event"] == "message.received"
    assert got.json["type"] == "message.received"
    assert got.json["data"] == {"from": "+14155550123"}
    (delivered,) = deliveries(sessions)
    assert (delivered.state, delivered.attempts, delivered.last_status) == ("delivered", 1, 200)
    with sessions() as session:
        [(_, logged)] = recent_attempts(session, endpoint_id)
        assert logged.status_code == 200
        assert logged.error is None
        assert logged.duration_ms >= 0


def test_a_500_is_retried_after_the_backoff(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    subscribe(sessions, receiver)
    receiver.answers = [500]
    now = utcnow()
    with sessions.begin() as session:
        emit(session, EventType.MESSAGE_STATUS, {"id": 7}, now=now)
    with sessions() as session:
        assert deliver_due(session, SETTINGS, clock=lambda: now) == 1
        (failed_once,) = deliveries(sessions)
        assert failed_once.state == DeliveryState.PENDING
        assert failed_once.last_status == 500
        assert failed_once.next_attempt_at == now + timedelta(seconds=60)
        early = now + timedelta(seconds=59)
        assert deliver_due(session, SETTINGS, clock=lambda: early) == 0
        due = now + timedelta(seconds=60)
        assert deliver_due(session, SETTINGS, clock=lambda: due) == 1
    first, second = receiver.wait_for(2)
    assert first.body == second.body
    assert second.signature_ok
    (delivered,) = deliveries(sessions)
    assert (delivered.state, delivered.attempts) == ("delivered", 2)


def test_backoff_doubles_and_the_delivery_fails_after_the_last_attempt(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    subscribe(sessions, receiver)
    receiver.answers = [503, 503, 503]
    now = utcnow()
    with sessions.begin() as session:
        emit(session, EventType.MESSAGE_STATUS, {"id": 8}, now=now)
    waits = []
    with sessions() as session:
        for _ in range(3):
            (pending,) = deliveries(sessions)
            due = pending.next_attempt_at
            assert deliver_due(session, SETTINGS, clock=functools.partial(identity, due)) == 1
            (after,) = deliveries(sessions)
            waits.append(after.next_attempt_at - due)
    assert waits[:2] == [timedelta(seconds=60), timedelta(seconds=120)]
    (failed,) = deliveries(sessions)
    assert (failed.state, failed.attempts, failed.last_status) == ("failed", 3, 503)


def test_no_answer_is_logged_as_an_error(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    subscribe(sessions, receiver, url="http://127.0.0.1:9/closed")
    now = utcnow()
    with sessions.begin() as session:
        emit(session, EventType.MESSAGE_STATUS, {"id": 9}, now=now)
    with sessions() as session:
        deliver_due(session, SETTINGS, clock=lambda: now)
        logged = session.scalars(select(WebhookAttempt)).one()
    assert logged.status_code is None
    assert logged.error
    (pending,) = deliveries(sessions)
    assert pending.state == DeliveryState.PENDING


def test_a_redirect_is_not_followed(sessions: sessionmaker[Session], receiver: Receiver) -> None:
    subscribe(sessions, receiver, url=receiver.url.replace("/hook", "/moved"))
    now = utcnow()
    with sessions.begin() as session:
        emit(session, EventType.MESSAGE_STATUS, {"id": 10}, now=now)
    with sessions() as session:
        deliver_due(session, SETTINGS, clock=lambda: now)
    assert [got.path for got in receiver.wait_for(1)] == ["/moved"]
    (pending,) = deliveries(sessions)
    assert (pending.state, pending.last_status) == ("pending", 302)


def test_only_one_worker_gets_a_delivery(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    subscribe(sessions, receiver)
    now = utcnow()
    with sessions.begin() as session:
        emit(session, EventType.MESSAGE_STATUS, {"id": 11}, now=now)
    with sessions() as first, sessions() as second:
        mine = first.scalars(select(WebhookDelivery)).one()
        theirs = second.scalars(select(WebhookDelivery)).one()
        assert attempt(first, mine, SETTINGS, now=now) is not None
        assert attempt(second, theirs, SETTINGS, now=now) is None
    assert len(receiver.wait_for(1)) == 1


def test_the_test_event_reaches_an_endpoint_whatever_it_subscribes_to(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    endpoint_id = subscribe(sessions, receiver, "conversation.assigned")
    with sessions() as session:
        outcome = send_test_event(session, endpoint_id, SETTINGS, now=utcnow())
    assert outcome.ok
    (got,) = receiver.wait_for(1)
    assert got.signature_ok
    assert got.json["type"] == "webhook.test"


def test_message_status_carries_the_message_as_the_api_shows_it(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    subscribe(sessions, receiver, "message.status")
    now = utcnow()
    with sessions() as session:
        message = enqueue(session, "+14155550123", "hi", region="US", now=now)
        assert emit_message_status(session, message.id, now=now) == 1
        session.commit()
        deliver_due(session, SETTINGS, clock=lambda: now)
    (got,) = receiver.wait_for(1)
    assert got.json["data"]["id"] == message.id
    assert got.json["data"]["state"] == "queued"
    assert got.json["data"]["peer"] == "+14155550123"


def test_the_worker_delivers_on_commit_and_retries_a_500(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    subscribe(sessions, receiver)
    receiver.answers = [500]
    quick = WebhooksSection(timeout_seconds=5.0, backoff_seconds=0.05, poll_seconds=60.0)
    worker = WebhookWorker(sessions, quick).start()
    try:
        with sessions.begin() as session:
            emit(session, EventType.MESSAGE_STATUS, {"id": 12}, now=utcnow())
        first, second = receiver.wait_for(2)
    finally:
        worker.stop()
    assert first.signature_ok
    assert second.signature_ok
    assert first.headers["X-Cellgate-Delivery"] == second.headers["X-Cellgate-Delivery"]
    with sessions() as session:
        codes = session.scalars(select(WebhookAttempt.status_code).order_by(WebhookAttempt.id))
        assert list(codes) == [500, 200]


def test_the_next_due_time_is_aware_so_the_worker_can_wait_for_it(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    subscribe(sessions, receiver)
    now = utcnow()
    with sessions.begin() as session:
        assert next_due(session) is None
        emit(session, EventType.MESSAGE_STATUS, {"id": 13}, now=now)
    with sessions() as session:
        assert next_due(session) == now
