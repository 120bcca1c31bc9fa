"""Inbound through the real driver and the simulator: stored first, then deleted."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from drivers.modem import Modem, events
from drivers.sim import Simulator
from gateway.config import Config
from gateway.inbound.pipeline import Pipeline
from gateway.inbound.sim_inbox import SimInbox
from gateway.models import Direction, Kind, Message, utcnow
from gateway.queue.claim import claim_next
from gateway.queue.enqueue import enqueue
from gateway.queue.transitions import mark_sent
from gateway.states import MessageState

pytest_plugins = ["tests.plugins.simulator", "tests.plugins.inbound"]

WAIT = 10.0
CUSTOMER = "+447700900123"


@pytest.fixture
def modem_events() -> queue.Queue[events.Event]:
    return queue.Queue()


@pytest.fixture
def modem(
    simulator: Callable[..., Simulator], modem_events: queue.Queue[events.Event]
) -> Iterator[tuple[Simulator, Modem]]:
    sim = simulator()
    driver = Modem(
        sim.modems[0].device, name="sim0", on_event=modem_events.put, command_timeout=2.0
    )
    driver.open()
    yield sim, driver
    driver.close()


def inbound(session: Session) -> list[Message]:
    return list(
        session.scalars(
            select(Message).where(Message.direction == Direction.IN).order_by(Message.id)
        )
    )


def test_a_ten_message_burst_is_all_stored_and_the_sim_emptied(
    modem: tuple[Simulator, Modem],
    modem_events: queue.Queue[events.Event],
    gated: sessionmaker[Session],
    pipeline: Pipeline,
) -> None:
    sim, driver = modem
    inbox = SimInbox(gated, pipeline)
    for n in range(10):
        sim.modems[0].inject_text(CUSTOMER, f"burst {n}")
    # Handle the notifications that arrived, as the worker does; the sweep gets the rest.
    notified = 0
    while notified < 10:
        try:
            event = modem_events.get(timeout=WAIT)
        except queue.Empty:
            break
        if isinstance(event, events.NewMessageStored):
            inbox("sim0", driver, event)
            notified += 1
    inbox.sweep("sim0", driver, driver.list_messages())
    with gated() as session:
        assert sorted(m.body for m in inbound(session)) == sorted(f"burst {n}" for n in range(10))
    assert driver.list_messages() == []


def test_stop_through_the_modem_then_api_and_campaign_sends_never_leave_it(
    modem: tuple[Simulator, Modem], gated: sessionmaker[Session], pipeline: Pipeline, config: Config
) -> None:
    sim, driver = modem
    inbox = SimInbox(gated, pipeline)
    sim.modems[0].inject_text(CUSTOMER, "STOP")
    assert inbox.sweep("sim0", driver, driver.list_messages()) == 1
    now = utcnow()
    with gated() as session:
        api = enqueue(session, CUSTOMER, "Your code is 1234", region="GB", now=now)
        campaign = enqueue(
            session, CUSTOMER, "Spring sale!", kind=Kind.MARKETING, region="GB", now=now
        )
        assert api.state == campaign.state == MessageState.SUPPRESSED
        # The worker's loop, reduced to its queue calls: send whatever may be claimed.
        while claim := claim_next(session, "sim0", now, node="n", takeover_after=timedelta(0)):
            result = driver.send_sms(claim.peer, claim.body)
            mark_sent(
                session,
                claim.id,
                node="n",
                modem="sim0",
                recipient=claim.peer,
                references=result.references,
                now=now,
            )
    sent = sim.wait_sent(1, WAIT)
    assert [(s.to, s.text) for s in sent] == [(CUSTOMER, config.compliance.opt_out_reply)]


def test_a_notification_for_a_message_a_sweep_already_took_is_quietly_dropped(
    modem: tuple[Simulator, Modem],
    modem_events: queue.Queue[events.Event],
    gated: sessionmaker[Session],
    pipeline: Pipeline,
) -> None:
    sim, driver = modem
    inbox = SimInbox(gated, pipeline)
    sim.modems[0].inject_text(CUSTOMER, "hello once")
    notification = modem_events.get(timeout=WAIT)
    assert isinstance(notification, events.NewMessageStored)
    assert inbox.sweep("sim0", driver, driver.list_messages()) == 1
    inbox("sim0", driver, notification)  # the slot is empty now: +CMS ERROR 321
    with gated() as session:
        assert [m.body for m in inbound(session)] == ["hello once"]
