"""A campaign end to end through the running gateway and simulated modems: 50 people get
their own text with fallbacks, an opted-out contact gets nothing, and C and R replies
sent back through the simulated network are routed by the campaign's reply options."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from drivers.sim import Simulator
from gateway import contacts
from gateway.campaigns import control, replies, store
from gateway.config import (
    CampaignsSection,
    ComplianceSection,
    Config,
    GatewaySection,
    ModemSection,
    QueueSection,
)
from gateway.models import ConsentChannel, Contact, Conversation, User, utcnow
from gateway.runtime import Gateway
from tests.waiting import eventually

pytest_plugins = ["tests.plugins.simulator"]

PEOPLE = 50


@pytest.fixture
def running(
    tmp_path: Path, engine: Engine, simulator: Callable[..., Simulator], users: None
) -> Iterator[tuple[Gateway, Simulator]]:
    sim = simulator(modems=1)
    config = Config(
        gateway=GatewaySection(data_dir=str(tmp_path / "data")),
        queue=QueueSection(node="campaign-node", poll_seconds=0.2),
        compliance=ComplianceSection(quiet_hours="00:00-24:00"),
        campaigns=CampaignsSection(check_seconds=0.2, batch_size=20),
        modems=tuple(
            ModemSection(name=m.id, port=m.device, rate_per_minute=60_000) for m in sim.modems
        ),
    )
    gateway = Gateway.build(config, engine)
    gateway.start()
    yield gateway, sim
    gateway.stop()


def test_a_campaign_arrives_personalised_and_replies_route(
    running: tuple[Gateway, Simulator],
) -> None:
    gateway, sim = running
    now = utcnow()
    with gateway.sessions() as session:
        people = [
            Contact(
                number=f"+4477009{index:05d}",
                first_name="" if index % 10 == 0 else f"P{index}",
                last_name="",
                tags=[],
                fields={},
                created_at=now,
            )
            for index in range(PEOPLE + 1)
        ]
        session.add_all(people)
        session.commit()
        stopped = people[-1]
        contacts.opt_out(session, stopped, ConsentChannel.UI, now, detail="asked")
        session.commit()
        desk = session.scalars(select(User).where(User.username == "bob")).one()
        campaign = store.create(
            session, store.CampaignSpec("visit", "Hi {{first_name|friend}}! C or R?"), now
        )
        options = replies.parse_lines(
            "C => tag confirmed; reply Thanks, see you!\nR => open; assign bob",
            lambda _name: desk.id,
        )
        replies.set_options(session, campaign, options)
        session.commit()
        control.schedule(session, campaign.id, now)
        numbers = [p.number for p in people]
    assert eventually(lambda: len(sim.sent) >= PEOPLE)
    texts = {message.to: message.text for message in sim.sent}
    assert texts[numbers[0]] == "Hi friend! C or R?"
    assert texts[numbers[7]] == "Hi P7! C or R?"
    assert len(texts) == PEOPLE
    assert stopped.number not in texts

    modem = sim.modems[0]
    modem.inject_text(numbers[1], "c")
    modem.inject_text(numbers[2], "R")
    assert eventually(
        lambda: any(m.to == numbers[1] and m.text == "Thanks, see you!" for m in sim.sent)
    )

    def assigned() -> bool:
        with gateway.sessions() as session:
            contact = contacts.find(session, numbers[2])
            if contact is None:
                return False
            conversation = session.scalars(
                select(Conversation).where(Conversation.contact_id == contact.id)
            ).first()
            return conversation is not None and conversation.assignee_id == desk.id

    assert eventually(assigned)
    with gateway.sessions() as session:
        confirmed = contacts.find(session, numbers[1])
        assert confirmed is not None
        assert "confirmed" in confirmed.tags
