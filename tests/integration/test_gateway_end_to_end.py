"""`cellgate run` with simulated modems on real ptys: inbound, opt-out and sending, wired."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from drivers.sim import Simulator
from gateway.db import make_engine
from gateway.models import Contact, Conversation, Direction, Message, UndecodablePdu
from tests.plugins.gateway_server import LiveServer, cellgate
from tests.plugins.simulator import SimulatorFactory

CUSTOMER = "+14155550123"
WAIT = 20.0


def modem_tables(sim: Simulator) -> str:
    return "".join(
        f'[[modems]]\nname = "{m.id}"\nport = "{m.device}"\nrate_per_minute = 600\n'
        for m in sim.modems
    )


def eventually(check: Callable[[], object], what: str) -> object:
    """Poll the database (the gateway is another process) until ``check`` is truthy."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def database(server: LiveServer) -> Session:
    assert server.config is not None
    return Session(make_engine(f"sqlite:///{server.config.parent / 'data' / 'cellgate.db'}"))


def test_inbound_text_becomes_a_contact_and_a_conversation(
    simulator: SimulatorFactory, live_server_factory: Callable[..., LiveServer]
) -> None:
    sim = simulator(modems=1)
    server = live_server_factory(modem_tables(sim))
    sim.modems[0].inject_text(CUSTOMER, "Is my <b>appointment</b> still on?")
    with database(server) as session:

        def stored() -> Message | None:
            session.expire_all()
            return session.scalars(select(Message).where(Message.direction == Direction.IN)).first()

        message = eventually(stored, "the inbound message")
        assert isinstance(message, Message)
        assert message.peer == CUSTOMER
        assert message.body == "Is my <b>appointment</b> still on?"

        def conversation() -> Conversation | None:
            # Stored first, then processed: the thread follows the commit of the message.
            session.expire_all()
            return session.scalars(
                select(Conversation)
                .join(Contact, Contact.id == Conversation.contact_id)
                .where(Contact.number == CUSTOMER)
            ).first()

        thread = eventually(conversation, "the contact's conversation")
        assert isinstance(thread, Conversation)
        assert thread.unread >= 1
    sim_card = sim.modems[0].interpreter.sim
    eventually(lambda: sim_card.stores["SM"].used == 0, "the SIM to be emptied")


def test_stop_is_confirmed_once_and_later_sends_are_suppressed(
    simulator: SimulatorFactory, live_server_factory: Callable[..., LiveServer]
) -> None:
    sim = simulator(modems=1)
    server = live_server_factory(modem_tables(sim))
    sim.modems[0].inject_text(CUSTOMER, "Stop")
    [confirmation] = sim.wait_sent(1, timeout=WAIT)
    assert confirmation.to == CUSTOMER
    assert server.config is not None
    result = subprocess.run(
        cellgate("send", CUSTOMER, "Big sale today!", "--wait", config=server.config),
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert "suppressed" in result.stdout + result.stderr
    time.sleep(1)
    assert [m.to for m in sim.sent] == [CUSTOMER]


def test_texts_that_arrived_while_the_gateway_was_down_are_swept_in(
    simulator: SimulatorFactory, live_server_factory: Callable[..., LiveServer]
) -> None:
    sim = simulator(modems=1)
    for n in range(3):
        sim.modems[0].inject_text(CUSTOMER, f"while you were away {n}")
    sim_card = sim.modems[0].interpreter.sim
    assert sim_card.stores["SM"].used == 3
    server = live_server_factory(modem_tables(sim))
    with database(server) as session:

        def stored() -> bool:
            session.expire_all()
            bodies = session.scalars(
                select(Message.body).where(Message.direction == Direction.IN)
            ).all()
            return sorted(bodies) == [f"while you were away {n}" for n in range(3)]

        eventually(stored, "the three messages left on the SIM")
    eventually(lambda: sim_card.stores["SM"].used == 0, "the SIM to be emptied")


def test_an_undecodable_pdu_is_kept_raw_and_taken_off_the_sim(
    simulator: SimulatorFactory, live_server_factory: Callable[..., LiveServer]
) -> None:
    sim = simulator(modems=1)
    server = live_server_factory(modem_tables(sim))
    truncated = "0791448720003023040C914477009001230000112011912043001AC8329BFD06"
    sim.modems[0].inject_pdu(truncated)
    with database(server) as session:

        def kept() -> UndecodablePdu | None:
            session.expire_all()
            return session.scalars(select(UndecodablePdu)).first()

        row = eventually(kept, "the raw PDU to be kept")
        assert isinstance(row, UndecodablePdu)
        assert row.pdu.upper().endswith(truncated[-20:])
        assert "truncated" in row.error
    sim_card = sim.modems[0].interpreter.sim
    eventually(lambda: sim_card.stores["SM"].used == 0, "the SIM to be emptied")
