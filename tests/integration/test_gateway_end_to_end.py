"""`cellgate run` with simulated modems on real ptys: inbound, opt-out and sending, wired."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
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


def api_key(server: LiveServer, scope: str) -> str:
    assert server.config is not None
    created = subprocess.run(
        cellgate("apikey", "create", f"{scope} key", "--scope", scope, config=server.config),
        text=True,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return created.stdout.split()[-1]


def get(url: str, key: str | None = None) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["Content-Type"], refused.read().decode()


def test_metrics_and_the_modems_api_show_each_modems_health_to_a_read_key(
    simulator: SimulatorFactory, live_server_factory: Callable[..., LiveServer]
) -> None:
    sim = simulator(modems=1)
    server = live_server_factory(modem_tables(sim))
    sender, reader = api_key(server, "send"), api_key(server, "read")
    request = urllib.request.Request(
        f"{server.url}/api/v1/messages",
        data=json.dumps({"to": CUSTOMER, "body": "Your table is ready"}).encode(),
        headers={"Authorization": f"Bearer {sender}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 202
    sim.wait_sent(1, timeout=WAIT)
    modem = sim.modems[0].id

    def scraped() -> dict[tuple[str, str], float] | None:
        status, kind, text = get(f"{server.url}/metrics", reader)
        assert status == 200
        assert kind == "text/plain; version=0.0.4; charset=utf-8"
        samples = {
            (sample.name, sample.labels.get("modem") or sample.labels["state"]): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        return samples if samples[("cellgate_modem_sent_total", modem)] == 1 else None

    samples = eventually(scraped, "the send in the metrics")
    assert isinstance(samples, dict)
    assert samples[("cellgate_modem_up", modem)] == 1
    assert samples[("cellgate_messages", "queued")] == 0

    def listed_once_recorded() -> dict[str, Any] | None:
        # The send is counted from the database, where its outcome lands a moment after
        # the modem's answer (with the next claim, or on its own within 0.05 s).
        status, _, body = get(f"{server.url}/api/v1/modems", reader)
        assert status == 200
        [listed] = json.loads(body)["data"]
        return listed if listed["sent_today"] == 1 else None

    listed = eventually(listed_once_recorded, "the send recorded")
    assert isinstance(listed, dict)
    assert (listed["name"], listed["status"], listed["queued"]) == (modem, "up", 0)
    assert listed["daily_cap"] == 500
    assert listed["health"]["connected"] is True
    assert (listed["health"]["sent"], listed["health"]["failed"]) == (1, 0)
    assert listed["health"]["last_latency_seconds"] > 0
    status, kind, body = get(f"{server.url}/metrics")
    assert (status, kind) == (401, "application/json")
    assert json.loads(body)["error"]["code"] == "unauthorized"
    assert get(f"{server.url}/metrics", sender)[0] == 403
