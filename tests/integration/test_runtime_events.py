"""The wired gateway announces every state change: live UI events and message.status webhooks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine, select

from gateway.config import Config, ModemSection
from gateway.events import LiveEvent, Subscription
from gateway.models import WebhookDelivery, utcnow
from gateway.queue import enqueue
from gateway.runtime import Gateway
from gateway.webhooks.endpoints import add_endpoint
from tests.plugins.simulator import SimulatorFactory

CUSTOMER = "+14155550123"


@pytest.fixture
def gateway(config: Config, engine: Engine, simulator: SimulatorFactory) -> Iterator[Gateway]:
    sim = simulator(modems=1)
    modem = ModemSection(name="sim0", port=sim.modems[0].device, rate_per_minute=600)
    running = Gateway.build(replace(config, modems=(modem,)), engine)
    with running.sessions.begin() as session:
        add_endpoint(session, "http://127.0.0.1:9/hook", ["message.status"], now=utcnow())
    running.start()
    yield running
    running.stop()


def states_of(subscription: Subscription, message_id: int, until: str) -> list[str]:
    seen: list[str] = []
    while until not in seen:
        event = subscription.get(timeout=20)
        assert event is not None, f"no {until!r} event; saw {seen}"
        if (
            isinstance(event, LiveEvent)
            and event.type == "message.status"
            and event.data["id"] == message_id
        ):
            seen.append(event.data["state"])
    return seen


def test_a_send_is_announced_live_and_to_webhooks_until_delivered(gateway: Gateway) -> None:
    subscription = gateway.events.subscribe()
    with gateway.sessions() as session:
        message = enqueue(session, CUSTOMER, "Your order shipped", region="US", now=utcnow())
        message_id = message.id
    assert states_of(subscription, message_id, until="delivered") == [
        "sending",
        "sent",
        "delivered",
    ]
    with gateway.sessions() as session:
        bodies = session.scalars(
            select(WebhookDelivery.body).where(WebhookDelivery.event_type == "message.status")
        ).all()
    announced = [json.loads(body)["data"]["state"] for body in bodies]
    assert announced == ["sent", "delivered"]
